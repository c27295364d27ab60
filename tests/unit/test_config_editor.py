import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from cligate.config.editor import editing, locate_line
from cligate.config.store import load_settings
from cligate.errors import ConfigError

ORIGINAL = """# cligate config, written by hand
[providers.qwen]  # my main provider
protocol = "openai-chat"
base_url = "https://dashscope.aliyuncs.com/compatible-mode/v1"  # China region
api_key = "env:DASHSCOPE_API_KEY"

[tools.claude]
provider = "qwen"
"""


def add_provider(path: Path, name: str) -> None:
    with editing(path) as document:
        document.setdefault("providers", {})[name] = {  # type: ignore[attr-defined]
            "protocol": "anthropic",
            "base_url": f"https://{name}.example",
        }


def test_a_change_keeps_the_users_comments_and_order(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    add_provider(path, "extra")
    text = path.read_text()
    assert text.startswith(ORIGINAL.split("[tools.claude]")[0])
    assert "# China region" in text and "# my main provider" in text
    assert load_settings(path).providers["extra"].base_url == "https://extra.example"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_an_invalid_result_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    with pytest.raises(ConfigError, match=r"providers\.bad\.protocol"), editing(path) as doc:
        doc["providers"]["bad"] = {"protocol": "smtp", "base_url": "https://x"}  # type: ignore[index]
    assert path.read_text() == ORIGINAL


def test_errors_give_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL.replace('"openai-chat"', '"openai-chatt"'))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.message.startswith(f"{path}:3: providers.qwen.protocol: ")


@pytest.mark.parametrize(
    ("key", "line"),
    [
        ("providers.qwen.base_url", 4),
        ("providers.qwen", 2),
        ("providers.qwen.aliases", 2),  # not written: the nearest enclosing table
        ("tools.claude.provider", 8),
        ("nowhere.at.all", None),
    ],
)
def test_locate_line(key: str, line: int | None) -> None:
    assert locate_line(ORIGINAL, key) == line


def test_concurrent_writers_each_keep_their_change(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    names = [f"p{n}" for n in range(6)]
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=add_provider, args=(path, name)) for name in names]
    for process in processes:
        process.start()
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    settings = load_settings(path)
    assert set(names) <= set(settings.providers)  # no change lost to a race
    assert "# China region" in path.read_text()
