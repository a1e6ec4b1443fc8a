"""Host identity and hardware class, on fixture text of /proc/cpuinfo."""

from perfbench.system.host import hardware_class, parse_cpuinfo

GRAVITON2 = """processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x3
CPU part\t: 0xd0c
CPU revision\t: 1

processor\t: 1
CPU part\t: 0xd40
"""
GRAVITON3 = GRAVITON2.replace("0xd0c", "0xd40").replace("ssbs", "ssbs sve bf16 i8mm")
AMPERE = GRAVITON2.replace("0x41", "0xc0").replace("0xd0c", "0xac3")
UNKNOWN = GRAVITON2.replace("0x41", "0x99").replace("0xd0c", "0x123")


def test_an_aarch64_cpu_is_named_from_its_implementer_and_part():
    n1, v1 = parse_cpuinfo(GRAVITON2), parse_cpuinfo(GRAVITON3)
    assert n1["cpu"] == "ARM Neoverse-N1" and n1["vendor"] == "ARM"
    assert v1["cpu"] == "ARM Neoverse-V1"
    assert parse_cpuinfo(AMPERE)["cpu"] == "Ampere Ampere-1"
    assert parse_cpuinfo(UNKNOWN)["cpu"] == "aarch64 0x99 0x123"
    assert hardware_class(n1["cpu"], 2, [], 8 * 2**30) == "arm-neoverse-n1-2c-base-8g"
    assert hardware_class(n1["cpu"], 2, [], 8 * 2**30) != \
        hardware_class(v1["cpu"], 2, [], 8 * 2**30)


def test_aarch64_features_count_like_x86_flags():
    from perfbench.system.host import describe_host
    host = describe_host(["CPU"], "x", cpuinfo=parse_cpuinfo(GRAVITON3))
    assert {"sve", "arm_bf16", "i8mm"} <= set(host["isa"])
    assert "-sve-" in host["derived_class"]


def test_identical_machines_either_side_of_half_a_gib_share_a_class():
    """Visible memory is the installed size less what firmware and kernel keep: two 16 GiB
    machines can show 15.49 and 15.51 GiB, which plain rounding split into 15g and 16g."""
    low, high = (hardware_class("x", 4, [], int(g * 2**30)) for g in (15.49, 15.51))
    assert low == high == "x-4c-base-16g"
    assert hardware_class("x", 4, [], int(31.2 * 2**30)).endswith("-32g")
    assert hardware_class("x", 4, [], int(3.7 * 2**30)).endswith("-4g")
    assert hardware_class("x", 4, [], int(7.6 * 2**30)) != \
        hardware_class("x", 4, [], int(15.6 * 2**30))
