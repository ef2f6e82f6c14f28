"""tandem.core.jobs.run_limited: a job's child process runs under the memory limit and its failures surface."""

import resource

import pytest

from tandem.core.jobs import ChildFailed, run_limited


def test_the_child_runs_under_the_address_space_limit(tmp_path):
    out = tmp_path / "limit.txt"
    code = f"import resource, pathlib; pathlib.Path({str(out)!r}).write_text(str(resource.getrlimit(resource.RLIMIT_AS)))"
    run_limited(["shell", "-c", code], memory_mb=1536)
    assert out.read_text() == str((1536 * 1024 * 1024, 1536 * 1024 * 1024))
    # The limit is the child's own: the caller (the worker) keeps its own.
    assert resource.getrlimit(resource.RLIMIT_AS) != (1536 * 1024 * 1024, 1536 * 1024 * 1024)


def test_an_allocation_over_the_limit_fails_the_child_not_the_caller():
    with pytest.raises(ChildFailed) as failure:
        run_limited(["shell", "-c", "block = bytearray(3 * 1024**3)"], memory_mb=1536)
    assert failure.value.returncode != 0
