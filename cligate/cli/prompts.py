"""Terminal questions. The only module that imports questionary; the input and output can be
injected so the flows are driven in tests exactly as a person at a terminal drives them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cligate.errors import CligateError

T = TypeVar("T")


class SetupCancelled(CligateError):
    exit_code = 130  # as for Ctrl-C


class Prompter:
    def __init__(self, input: Any = None, output: Any = None) -> None:
        self._io: dict[str, Any] = {}
        if input is not None:
            self._io["input"] = input
        if output is not None:
            self._io["output"] = output

    @staticmethod
    def _answer(value: T | None) -> T:
        if value is None:  # questionary returns None on Ctrl-C
            raise SetupCancelled("setup cancelled")
        return value

    @staticmethod
    def _ask(question: Any) -> Any:
        try:
            return question.ask()
        except EOFError:  # Ctrl-D
            raise SetupCancelled("setup cancelled") from None

    def select(self, message: str, choices: Sequence[tuple[str, T]], default: T | None = None) -> T:
        import questionary

        options = [questionary.Choice(title, value=value) for title, value in choices]
        chosen = next((o for o in options if o.value == default), None)
        # Typing filters the list: long lists (30 presets) stay quick to use.
        question = questionary.select(
            message,
            choices=options,
            default=chosen,
            use_search_filter=True,
            use_jk_keys=False,
            **self._io,
        )
        return self._answer(self._ask(question))  # type: ignore[no-any-return]

    def text(
        self, message: str, default: str = "", validate: Callable[[str], bool | str] | None = None
    ) -> str:
        import questionary

        question = questionary.text(message, default=default, validate=validate, **self._io)
        return str(self._answer(self._ask(question)))

    def secret(self, message: str) -> str:
        import questionary

        return str(self._answer(self._ask(questionary.password(message, **self._io))))

    def confirm(self, message: str, default: bool = True) -> bool:
        import questionary

        return bool(
            self._answer(self._ask(questionary.confirm(message, default=default, **self._io)))
        )
