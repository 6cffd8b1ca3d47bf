"""Task declarations, registry, formats and languages of the intermediate and XTREME target tasks.

A task is one `TaskSpec` declaration (`replication.tasks.spec`); the paper's tasks are declared in
`replication.tasks.intermediate` and `replication.tasks.xtreme`, their file and hub readers live in
`replication.tasks.readers`.
"""

from replication.tasks.formats import (
    ChoiceExample,
    Example,
    Format,
    PairExample,
    QAExample,
    RetrievalData,
    RetrievalExample,
    TaggingExample,
    TextExample,
)
from replication.tasks.registry import (
    INTERMEDIATE_V1,
    LANGUAGE_FAMILIES,
    XTREME_LANGUAGES,
    XTREME_TASKS,
    HubSource,
    LocalFiles,
    TaskSpec,
    family_of,
    get_task,
    layout,
    list_tasks,
    register_languages,
    register_task,
)

__all__ = [
    "INTERMEDIATE_V1",
    "LANGUAGE_FAMILIES",
    "XTREME_LANGUAGES",
    "XTREME_TASKS",
    "ChoiceExample",
    "Example",
    "Format",
    "HubSource",
    "LocalFiles",
    "PairExample",
    "QAExample",
    "RetrievalData",
    "RetrievalExample",
    "TaggingExample",
    "TaskSpec",
    "TextExample",
    "family_of",
    "get_task",
    "layout",
    "list_tasks",
    "register_languages",
    "register_task",
]
