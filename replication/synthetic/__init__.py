"""The synthetic world (English-like language, fake language families, tasks of every format) and the CPU demo."""
