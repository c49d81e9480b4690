"""providers.yaml parsing: valid files, interpolation, and one-line errors naming field and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.providers._config import ConfigError, load_providers_file, parse_providers

GOOD = """\
providers:
  - name: deepseek
    base_url: https://api.deepseek.com
    api_key_env: DEEPSEEK_API_KEY
    profile: deepseek-official
    rate_limit: 2
    budget_tokens: 20000
  - name: local-vllm
    base_url: http://${VLLM_HOST}:8000
    profile: vllm
    models: {chat: deepseek-ai/DeepSeek-V3.1}
    timeouts: {connect: 3, idle: 20, total: 120}
    statuses: {invalid_param: [400]}
"""


def test_parses_providers_with_interpolation_and_overrides() -> None:
    configs = parse_providers(GOOD, environ={"VLLM_HOST": "127.0.0.1"})
    assert [c.name for c in configs] == ["deepseek", "local-vllm"]
    assert configs[1].base_url == "http://127.0.0.1:8000"
    assert configs[1].bounds.connect_s == 3.0 and configs[1].bounds.total_s == 120.0
    profile = configs[1].resolved_profile()
    assert profile.default_model == "deepseek-ai/DeepSeek-V3.1"
    assert profile.status_for("invalid_param") == (400,)
    assert configs[0].rate_limit == 2.0 and configs[0].budget_tokens == 20000
    assert "api_key" not in configs[0].public() and configs[0].public()["api_key_env"] == "DEEPSEEK_API_KEY"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- name: a\n  base_url: ftp://x\n", ":2: providers[0].base_url: must start with http"),
        ("- name: a\n  base_url: http://x\n  profile: nope\n", ":3: providers[0].profile: unknown profile 'nope'"),
        ("- name: a\n  base_url: http://x\n  api_key: sk-123\n", ":3: providers[0].api_key: a key is never written"),
        ("- name: a\n  base_url: http://x\n  colour: red\n", ":3: providers[0].colour: unknown field"),
        ("- name: a\n  base_url: http://${NOPE}\n", ":2: providers[0].base_url: environment variable NOPE is not set"),
        ("- name: a\n  base_url: http://x\n- name: a\n  base_url: http://y\n", ":3: providers[1].name: duplicate"),
        ("- name: a\n  base_url: http://x\n  rate_limit: -1\n", ":3: providers[0].rate_limit: must be a positive"),
        ("providers: [\n", "not valid YAML"),
        ("{}\n", "expected a non-empty list of providers"),
    ],
)
def test_bad_files_give_one_line_errors_with_field_and_line(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_providers(text, source="p.yaml", environ={})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("p.yaml")
    assert fragment in message


def test_shipped_example_file_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "providers.example.yaml"
    env = {"ARK_API_KEY": "x", "DEEPSEEK_API_KEY": "x", "GATEWAY_API_KEY": "x", "VLLM_HOST": "127.0.0.1"}
    configs = load_providers_file(example, environ=env)
    assert {c.profile for c in configs} >= {"deepseek-official", "ark", "vllm"}
    assert len(configs) >= 4


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read providers file"):
        load_providers_file(tmp_path / "absent.yaml")
