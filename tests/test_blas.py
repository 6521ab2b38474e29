"""sheetnet's own numeric work runs on one BLAS thread (threadpoolctl), whatever the environment says."""

import types

import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")


def test_a_command_runs_with_one_blas_thread_and_gives_the_pool_back():
    import numpy as np

    from sheetnet import cli

    seen = []

    def run(args):
        np.ones((4, 4)) @ np.ones((4, 4))
        seen.extend(p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas")
        return 0

    before = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert cli._run(types.SimpleNamespace(run=run, subject="output", output="x")) == 0
    assert seen and set(seen) == {1}
    assert [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"] == before
