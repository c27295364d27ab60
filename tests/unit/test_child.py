from cligate.launcher.child import LaunchValues, build_child
from cligate.launcher.tools import TOOLS

VALUES = LaunchValues(proxy_url="http://127.0.0.1:4242", secret="SECRET", model=None)
USER_ENV = {
    "PATH": "/usr/bin",
    "ANTHROPIC_API_KEY": "user-own-key",
    "NO_PROXY": "corp.internal",
    "HTTPS_PROXY": "http://proxy:3128",
}


def test_claude_gets_exactly_one_credential_and_no_vendor_traffic() -> None:
    child = build_child(TOOLS["claude"], "/bin/claude", ["-p", "hi"], VALUES, USER_ENV)
    env = child.env
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:4242"
    assert env["ANTHROPIC_AUTH_TOKEN"] == "SECRET"
    assert "ANTHROPIC_API_KEY" not in env  # the user's key must not compete or leak
    assert env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"
    assert "ANTHROPIC_MODEL" not in env  # no model chosen: the tool's own default
    assert child.argv == ["/bin/claude", "-p", "hi"]


def test_claude_model_sets_every_tier() -> None:
    values = LaunchValues("http://127.0.0.1:1", "S", "qwen-plus")
    env = build_child(TOOLS["claude"], "claude", [], values, {}).env
    for name in (
        "ANTHROPIC_MODEL",
        "ANTHROPIC_DEFAULT_OPUS_MODEL",
        "ANTHROPIC_DEFAULT_SONNET_MODEL",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    ):
        assert env[name] == "qwen-plus"


def test_no_proxy_keeps_the_users_entries_and_adds_loopback() -> None:
    env = build_child(TOOLS["claude"], "claude", [], VALUES, USER_ENV).env
    assert env["NO_PROXY"] == env["no_proxy"] == "corp.internal,127.0.0.1,localhost"
    assert env["HTTPS_PROXY"] == "http://proxy:3128"  # upstream traffic may still need it


def test_codex_gets_a_custom_provider_by_overrides_before_user_args() -> None:
    values = LaunchValues("http://127.0.0.1:4242", "SECRET", 'we"ird')
    child = build_child(TOOLS["codex"], "/bin/codex", ["exec", "do it"], values, {})
    argv = child.argv
    assert argv[0] == "/bin/codex" and argv[-2:] == ["exec", "do it"]
    overrides = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-c"]
    assert "model_provider=cligate-run" in overrides
    provider = next(o for o in overrides if o.startswith("model_providers.cligate-run="))
    assert 'base_url="http://127.0.0.1:4242/v1"' in provider
    assert 'env_key="CLIGATE_CODEX_KEY"' in provider
    assert 'wire_api="responses"' in provider
    assert "supports_websockets=false" in provider
    assert 'model="we\\"ird"' in overrides  # quoted as a TOML string
    assert child.env["CLIGATE_CODEX_KEY"] == "SECRET"
    assert "SECRET" not in " ".join(argv)  # the secret never shows in ps output


def test_gemini_gets_base_url_key_and_loses_competing_credentials() -> None:
    env = build_child(
        TOOLS["gemini"],
        "gemini",
        [],
        VALUES,
        {"GOOGLE_API_KEY": "g", "GOOGLE_GENAI_USE_VERTEXAI": "1"},
    ).env
    assert env["GOOGLE_GEMINI_BASE_URL"] == "http://127.0.0.1:4242"
    assert env["GEMINI_API_KEY"] == "SECRET"
    assert "GOOGLE_API_KEY" not in env and "GOOGLE_GENAI_USE_VERTEXAI" not in env


def test_binding_tiers_reach_claudes_model_picker() -> None:
    values = LaunchValues(
        "http://127.0.0.1:1",
        "S",
        None,
        tier_models=(
            ("opus", "deepseek-v4-pro"),
            ("haiku", "deepseek-flash"),
            ("background", "tiny"),
        ),
    )
    env = build_child(TOOLS["claude"], "claude", [], values, {}).env
    assert env["ANTHROPIC_DEFAULT_OPUS_MODEL"] == "deepseek-v4-pro"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "deepseek-flash"
    assert env["ANTHROPIC_SMALL_FAST_MODEL"] == "tiny"
    assert "ANTHROPIC_DEFAULT_SONNET_MODEL" not in env  # no tier: the tool's own default
    assert "ANTHROPIC_MODEL" not in env


def test_codex_does_not_see_the_users_openai_credentials() -> None:
    user = {"OPENAI_API_KEY": "sk-real", "CODEX_API_KEY": "c", "OPENAI_BASE_URL": "https://x"}
    env = build_child(TOOLS["codex"], "codex", [], VALUES, user).env
    assert not {"OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL"} & set(env)


def test_codex_is_told_a_shape_model_when_its_requests_are_translated() -> None:
    from cligate.config.settings import ProviderSettings, Settings, ToolBinding
    from cligate.launcher.run import LaunchPlan, model_for_tool
    from cligate.launcher.tools import TOOLS
    from cligate.protocols.kinds import WireProtocol

    def plan(protocol: WireProtocol) -> LaunchPlan:
        provider = ProviderSettings("p", protocol, "https://p/v1")
        binding = ToolBinding(provider="p", model="qwen3-coder")
        return LaunchPlan(TOOLS["codex"], "codex", Settings({"p": provider}), binding, {})

    # On a Chat provider codex must ask in the standard shape with apply_patch: it is told
    # gpt-5.5, and the binding's model is what routing sends on.
    assert model_for_tool(plan(WireProtocol.OPENAI_CHAT)) == "gpt-5.5"
    assert model_for_tool(plan(WireProtocol.OPENAI_RESPONSES)) == "qwen3-coder"
