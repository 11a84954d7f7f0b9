"""NumPy as the oracle for the lens.

Thousands of random view pairs over one buffer are put to NumPy and to the
`lens_oracle` example; `shares_memory`, `may_share_memory`, byte strides,
contiguity flags, whether `ravel` and `reshape` give views, and `tile`'s
shape, values and C-contiguity must agree on every one.
"""

import json
import random
import subprocess

import numpy as np
import pytest

CASES = 3000
BUFFER_BYTES = 96


def random_view(rng):
    """A view description `{offset, itemsize, shape, strides}` in bytes that
    stays inside the buffer and aligned to its item size."""
    while True:
        itemsize = rng.choice([1, 2, 4, 8])
        ndim = rng.choice([0, 1, 1, 2, 2, 3])
        shape = [0 if rng.random() < 0.05 else rng.randint(1, 6) for _ in range(ndim)]
        strides = [itemsize * rng.randint(-6, 6) for _ in range(ndim)]
        if rng.random() < 0.3 and ndim:
            # Natural layouts (C or F order, maybe reversed) are the common case.
            step = itemsize
            for axis in (reversed(range(ndim)) if rng.random() < 0.7 else range(ndim)):
                strides[axis] = step * rng.choice([1, 1, -1, 2])
                step *= max(shape[axis], 1)
        low = sum(s * (n - 1) for s, n in zip(strides, shape) if s < 0 and n > 0)
        high = sum(s * (n - 1) for s, n in zip(strides, shape) if s > 0 and n > 0) + itemsize
        first, last = -low, BUFFER_BYTES - high
        if first > last:
            continue
        offset = rng.randint(first // itemsize, last // itemsize) * itemsize
        if offset < first:
            offset += itemsize
        if offset <= last:
            return {"offset": offset, "itemsize": itemsize, "shape": shape, "strides": strides}


def numpy_view(buffer, spec):
    dtype = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[spec["itemsize"]]
    return np.ndarray(
        shape=spec["shape"], dtype=dtype, buffer=buffer, offset=spec["offset"], strides=spec["strides"]
    )


def random_reshape(rng, shape):
    size = int(np.prod(shape))
    if size == 0:
        return [0, rng.randint(1, 3)]
    factors = [d for d in range(1, size + 1) if size % d == 0]
    first = rng.choice(factors)
    rest = size // first
    second = rng.choice([d for d in range(1, rest + 1) if rest % d == 0])
    parts = [first, second, rest // second]
    if rng.random() < 0.5:
        parts[rng.randrange(3)] = -1
    return parts


def is_view_of(result, buffer):
    return np.shares_memory(result, buffer)


def tile_answers(a, reps):
    t = np.tile(a, reps)
    return {
        "shape": list(t.shape),
        "values": [int(x) for x in t.ravel()],
        "c_contiguous": bool(t.flags.c_contiguous),
    }


def numpy_answers(buffer, case):
    a = numpy_view(buffer, case["a"])
    b = numpy_view(buffer, case["b"])
    answers = {
        "shares_memory": bool(np.shares_memory(a, b, max_work=None)),
        "may_share_memory": bool(np.may_share_memory(a, b)),
        "tile": tile_answers(a, case["tile_reps"]),
        "a": {
            "strides": list(a.strides),
            "c_contiguous": bool(a.flags.c_contiguous),
            "f_contiguous": bool(a.flags.f_contiguous),
        },
    }
    if a.size:
        answers["a"]["ravel_is_view"] = bool(is_view_of(a.ravel(), buffer))
        try:
            answers["a"]["reshape_is_view"] = bool(is_view_of(a.reshape(case["reshape_to"]), buffer))
        except ValueError:
            answers["a"]["reshape_is_view"] = None
    return answers


def test_the_lens_agrees_with_numpy(lens_oracle):
    rng = random.Random(20261125)
    cases = []
    for _ in range(CASES):
        a, b = random_view(rng), random_view(rng)
        reps = [rng.choice([0, 1, 1, 2, 3]) for _ in range(rng.randint(0, 3))]
        cases.append({
            "buffer_bytes": BUFFER_BYTES, "a": a, "b": b,
            "reshape_to": random_reshape(rng, a["shape"]), "tile_reps": reps,
        })

    run = subprocess.run(
        [lens_oracle], input="\n".join(json.dumps(c) for c in cases) + "\n",
        capture_output=True, text=True, check=True,
    )
    ours = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(ours) == CASES

    # Byte i holds i, as in the oracle, so that tiled values tell elements apart.
    buffer = np.arange(BUFFER_BYTES, dtype=np.uint8)
    disagreements = []
    shared = 0
    for case, mine in zip(cases, ours):
        theirs = numpy_answers(buffer, case)
        shared += theirs["shares_memory"]
        if case["a"]["shape"] and 0 in case["a"]["shape"]:
            # NumPy's ravel and reshape of an empty array own no bytes, so
            # there is no view to detect.
            mine["a"].pop("ravel_is_view")
            mine["a"].pop("reshape_is_view")
        for key in theirs:
            if mine[key] != theirs[key]:
                disagreements.append((case, key, mine[key], theirs[key]))
    assert disagreements == [], f"{len(disagreements)} disagreements, first: {disagreements[:3]}"
    # The cases must exercise both answers, not only the easy one.
    assert CASES * 0.15 < shared < CASES * 0.85
