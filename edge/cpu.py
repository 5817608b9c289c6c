"""Numpy's BLAS on the kiosk's few cores: one thread, so no pool spins after a product.

OpenBLAS, which numpy ships, runs a matrix product on as many threads as cores, and its
threads then spin for about 0.1 s waiting for more work. The kiosk's products are small and
come one at a time (the log-mel spectrograms of Whisper and Smart Turn), so on two cores each
one left a core spinning while the models that need both ran: the encoder of Whisper's text
probe took 99-116 ms after a spectrogram with one BLAS thread against 138-146 ms with two.
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

OPERATOR_VARIABLE = "OPENBLAS_NUM_THREADS"


def single_thread_blas() -> bool:
    """Limit numpy's BLAS to one thread for the rest of the process, unless the operator set
    `OPENBLAS_NUM_THREADS` (then False, and nothing changes). Safe to call again."""
    if OPERATOR_VARIABLE in os.environ:
        return False
    threadpool_limits(limits=1, user_api="blas")
    return True
