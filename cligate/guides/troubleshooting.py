"""The troubleshooting table of docs/troubleshooting.md: what you see, why, what to do.

Each ``message`` is a piece of what cligate itself prints or answers, word for word (a test
finds every one in cligate's source, so the table cannot describe an error cligate no longer
emits); rows about a tool's own behaviour have ``message = None`` and quote the tool instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Trouble:
    symptom: str
    message: str | None  # a literal piece of cligate's own words, or None
    cause: str
    fix: str


TROUBLES: tuple[Trouble, ...] = (
    Trouble(
        "`cligate run` exits 127",
        "is not installed (not found on PATH",
        "The tool is not on `PATH` (or only a cligate shim is).",
        "Install it (the error names the command), or point `CLIGATE_<TOOL>_BIN` at its binary.",
    ),
    Trouble(
        "`cligate run` stops before the tool starts",
        "which is not set; export",
        "The bound provider reads its key from a variable that is not set.",
        "`export` it, or pick another provider with `--provider NAME`.",
    ),
    Trouble(
        "`cligate run` stops before the tool starts",
        "no provider is set for",
        "The tool has no binding and no `--provider` was given.",
        "`cligate bind TOOL --provider NAME [--model M]`.",
    ),
    Trouble(
        "`cligate run` stops before the tool starts",
        "no provider named",
        "A binding or `--provider` names a provider that is not in the config.",
        "`cligate providers list`; add it with `cligate providers add PRESET`.",
    ),
    Trouble(
        "`cligate run` stops before the tool starts",
        "and cligate cannot translate",
        "The tool and the provider speak protocols cligate does not translate between.",
        "Pick a provider with another endpoint (`cligate providers presets` lists them).",
    ),
    Trouble(
        "`cligate run opencode` (qwen, aider, crush, openclaw) stops before the tool starts",
        "settings must name a model",
        "These tools' settings must name a model, and the provider has no default one.",
        "`--model MODEL`, or `cligate bind TOOL --provider NAME --model MODEL`.",
    ),
    Trouble(
        "`cligate run` refuses `CLIGATE_<TOOL>_BIN`",
        "a cligate shim, not the real",
        "The override points at a shim, which would start cligate again.",
        "Point it at the real binary (`cligate shims status` shows where it is).",
    ),
    Trouble(
        "The tool reports 401 from cligate",
        "missing or wrong cligate key",
        "A request without the run's secret (or serve's key): a tool started outside "
        "`cligate run` with stale variables, or a client with an old key.",
        "Start the tool with `cligate run`; for serve, `cligate serve --show-key` or "
        '`eval "$(cligate env TOOL)"` again.',
    ),
    Trouble(
        "A client behind a tunnel or reverse proxy gets 403",
        "the Host header does not name this proxy on loopback",
        "cligate accepts only its own loopback Host, which stops DNS-rebinding pages.",
        "`cligate serve --allow-remote` (the key is then the only guard), or have the tunnel "
        "rewrite Host.",
    ),
    Trouble(
        "`cligate serve --host 0.0.0.0` refuses to start",
        "is reachable from other machines; pass --allow-remote",
        "Serving beyond this machine is a deliberate choice.",
        "Add `--allow-remote`; every request then needs a key.",
    ),
    Trouble(
        "The tool shows a 502 naming the provider",
        "could not connect to",
        "The provider's address is wrong or down (a local Ollama or LM Studio not started).",
        "Check `base_url` (`cligate config show`), start the local server, run `cligate doctor`.",
    ),
    Trouble(
        "An answer stops with an error after a pause",
        "(idle limit)",
        "The provider went silent inside an answer for longer than the idle limit.",
        "Raise it: `[providers.NAME.timeouts] idle = 300` (seconds; 0 = no limit).",
    ),
    Trouble(
        "A long answer stops with an error",
        "(total limit)",
        "The whole answer took longer than the provider's `total` limit.",
        "Raise or remove `[providers.NAME.timeouts] total`.",
    ),
    Trouble(
        "A streamed answer ends with an error event",
        "ended the stream before the answer",
        "The provider closed the stream before its end (network cut, provider crash).",
        "Retry; `cligate logs --errors` shows which provider and key. A fallback "
        "(`cligate bind TOOL --fallback provider:model`) takes over next time.",
    ),
    Trouble(
        "A streamed answer ends with an error event",
        "broke:",
        "The provider sent a stream cligate cannot read (broken JSON, cut mid-event).",
        "`cligate logs --errors`; `CLIGATE_RECORD_BODIES=1` keeps the bodies (keys redacted).",
    ),
    Trouble(
        "The tool waits, then gets a 429 from cligate",
        "cooling down for",
        "Every key of the provider is resting after the provider's own 429s; the answer says "
        "when one is usable (`Retry-After`).",
        "Wait, add keys (`--extra-key-env`), or add a fallback provider.",
    ),
    Trouble(
        "Every attempt failed",
        "keys and targets failed",
        "Each key and fallback was tried and failed; the message lists why, one by one.",
        "Read the reasons; `cligate doctor` checks each provider.",
    ),
    Trouble(
        "A 400 from cligate about JSON",
        "the request body is not valid JSON",
        "The client sent a body that is not JSON.",
        "A client bug: report it with `cligate logs --json` (no body is recorded by default).",
    ),
    Trouble(
        "A 413 from cligate",
        "request body is over",
        "The request is larger than cligate's limit.",
        "Shorten the context (the tool's compact command) or split the request.",
    ),
    Trouble(
        "A 404 for a tool's extra endpoint",
        "has no equivalent at a provider that",
        "An endpoint of the tool's vendor (e.g. token counting, files) that a provider of "
        "another protocol does not have.",
        "Nothing to do when the tool carries on; otherwise bind a provider of its protocol.",
    ),
    Trouble(
        "Gemini CLI changed a setting during a run",
        "changed its settings during the run",
        "Settings written during a run are kept beside yours, never merged silently.",
        "Compare `~/.gemini/settings.json.changed-under-cligate` with yours; keep what you want.",
    ),
    Trouble(
        "`npm install -g openclaw` installs version 0.0.1",
        None,
        "OpenClaw needs Node 24.16 or newer; on older Node npm picks an empty placeholder.",
        "Use Node 24 and a pinned version: `npm install -g openclaw@2026.9.6`.",
    ),
    Trouble(
        'Cursor: "Access to private networks is forbidden"',
        None,
        "Cursor calls a custom base URL from its own servers, which cannot reach 127.0.0.1.",
        "A public HTTPS tunnel to `cligate serve --allow-remote` (docs/tools/cursor.md).",
    ),
    Trouble(
        "crush: `npm install` fails with `getaddrinfo ENOTFOUND github.com`",
        None,
        "crush's npm package downloads its binary from GitHub while installing.",
        "Install crush another way (Homebrew, `go install`, a release archive).",
    ),
)
