"""The shared type tokens are ones the installed pulumi-aws registers."""

import re
from pathlib import Path

import pulumi_aws

from obsgov_policies import aws_types


def test_every_token_names_a_pulumi_aws_resource():
    root = Path(pulumi_aws.__file__).parent
    tokens = {k: v for k, v in vars(aws_types).items() if k.isupper()}
    assert len(tokens) == 21
    for name, token in tokens.items():
        provider, module_path, class_name = token.split(":")
        module, resource = module_path.split("/")
        file_name = re.sub("([A-Z])", r"_\1", resource).lower() + ".py"
        folder = root / module if (root / module).is_dir() else root / f"{module}_"  # lambda_
        source = (folder / file_name).read_text()
        assert provider == "aws", name
        assert f"'{token}'" in source, name
