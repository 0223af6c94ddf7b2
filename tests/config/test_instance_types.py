"""The shipped table of SageMaker instance types that sizes endpoint alarms.

SageMaker's CPUUtilization ranges 0-(vCPUs x 100)% and GPUUtilization / GPUMemoryUtilization
0-(GPUs x 100)% (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html);
the counts per type are AWS's instance specifications
(https://aws.amazon.com/sagemaker/ai/pricing/, https://aws.amazon.com/ec2/instance-types/).
"""

from __future__ import annotations

import botocore.session
import pytest

from obsgov.config import instance_types


def test_every_row_is_an_instance_type_sagemaker_hosts_endpoints_on():
    model = botocore.session.get_session().get_service_model("sagemaker")
    hosted = set(model.shape_for("ProductionVariantInstanceType").enum)
    assert set(instance_types.table().types) <= hosted


def test_the_table_names_where_its_figures_come_from():
    assert "https://aws.amazon.com/ec2/instance-types/" in instance_types.table().sources


@pytest.mark.parametrize(
    ("name", "vcpus", "gpus", "gpu_memory"),
    [
        ("ml.m5.large", 2, 0, 0),
        ("ml.c5.9xlarge", 36, 0, 0),
        ("ml.c4.8xlarge", 36, 0, 0),
        ("ml.t2.medium", 2, 0, 0),
        ("ml.g4dn.12xlarge", 48, 4, 64),
        ("ml.g5.48xlarge", 192, 8, 192),
        ("ml.p3.2xlarge", 8, 1, 16),
        ("ml.p4d.24xlarge", 96, 8, 320),
        ("ml.inf2.xlarge", 4, 0, 0),  # Inferentia: no GPU metrics
    ],
)
def test_rows_hold_the_published_specifications(name, vcpus, gpus, gpu_memory):
    row = instance_types.lookup(name)
    assert (row.vcpus, row.gpus, row.gpu_memory_gib) == (vcpus, gpus, gpu_memory)


def test_every_gpu_family_row_has_gpus_and_no_cpu_family_row_has_any():
    for name, row in instance_types.table().types.items():
        family = name.split(".")[1]
        assert row.has_gpus == family.startswith(("g4dn", "g5", "g6", "p2", "p3", "p4", "p5")), name


def test_an_unknown_type_is_refused_naming_the_table():
    with pytest.raises(ValueError, match=r"sagemaker_instance_types\.yaml"):
        instance_types.lookup("ml.m5.huge")
