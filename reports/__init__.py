"""The product's surface: the `assay` CLI, report assembly, audit, batch work and rendering."""
