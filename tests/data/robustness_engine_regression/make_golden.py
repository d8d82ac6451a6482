"""Write the regression oracle of PROVENANCE.md: ``python make_golden.py OUT.npz`` (run with the
package to record on PYTHONPATH). Every array of two index_uncertainty runs, keys
``<run>.<field>``."""

import sys
import time

import numpy as np

import urbanrural as ur
from urbanrural.pipeline.robustness import index_uncertainty

RUNS = (("world", "world_countries", "urban_rural_services", 200),
        ("national", "china_national", "national_integration_old_survey", 200))
FIELDS = ("nominal_score", "nominal_rank", "rank_q05", "rank_median", "rank_q95", "top_share",
          "bottom_share", "moved_share", "group_size", "mean_shift")


def main(path: str) -> None:
    print(ur.__file__)  # which copy of the package wrote the file
    out = {}
    for tag, dataset, framework, n in RUNS:
        t = time.perf_counter()
        r = index_uncertainty(ur.load_dataset(dataset), framework, n=n, seed=1,
                              chunk_draws=32).result
        print(tag, r.draws, f"{time.perf_counter() - t:.2f} s")
        for f in FIELDS:
            out[f"{tag}.{f}"] = np.asarray(getattr(r, f))
        for s in ("sobol_shift", "sobol_rank"):
            for f in ("first", "total", "first_conf", "total_conf"):
                out[f"{tag}.{s}.{f}"] = getattr(getattr(r, s), f)
        out[f"{tag}.reversals"] = r.reversals.to_numpy(dtype=float)
    np.savez_compressed(path, **out)


if __name__ == "__main__":
    main(sys.argv[1])
