"""``python -m cligate.guides [--check] [DOCS_DIR]``: write the generated guides into docs/, or
(``--check``) exit 1 naming each page that differs from what the tables give."""

from __future__ import annotations

import sys
from pathlib import Path

from cligate.guides.render import all_pages


def main(argv: list[str]) -> int:
    check = "--check" in argv
    rest = [arg for arg in argv if arg != "--check"]
    docs = Path(rest[0]) if rest else Path(__file__).resolve().parents[2] / "docs"
    stale = []
    for relative, text in all_pages().items():
        path = docs / relative
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(relative)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if check and stale:
        print(f"stale guides (run python -m cligate.guides): {', '.join(stale)}", file=sys.stderr)
        return 1
    if not check:
        print(f"wrote {len(stale)} of {len(all_pages())} guides in {docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
