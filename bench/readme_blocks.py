"""Replace one generated block of bench/README.md, between its start and end markers."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def block_replace(name: str, markdown: str, readme: Path = README) -> None:
    """Put `markdown` between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`,
    appending the block at the end of the README if it is not there yet."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = readme.read_text()
    block = f"{start}\n{markdown.rstrip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    readme.write_text(text)
