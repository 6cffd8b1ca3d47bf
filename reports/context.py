"""What every command needs: the resolved settings and the store, made once per invocation."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from synthesis.settings import Settings, load_settings
from synthesis.store import Store


@dataclass
class AppState:
    home: str | None = None
    offline: bool | None = None
    debug: bool = False
    _settings: Settings | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.home, offline=self.offline)
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.db_path)
        return self._store


def state(ctx: typer.Context) -> AppState:
    """The AppState of this invocation (made by the root callback)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
