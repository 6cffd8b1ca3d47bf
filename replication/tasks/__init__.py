"""Task registry, formats and languages of the intermediate and XTREME target tasks."""

from replication.tasks.formats import (
    ChoiceExample,
    Example,
    Format,
    PairExample,
    QAExample,
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
    TaskSpec,
    family_of,
    get_task,
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
    "PairExample",
    "QAExample",
    "RetrievalExample",
    "TaggingExample",
    "TaskSpec",
    "TextExample",
    "family_of",
    "get_task",
    "list_tasks",
    "register_languages",
    "register_task",
]
