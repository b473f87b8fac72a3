"""A cohort simulated from a known proportional hazard, as ``skmed train --time/--event`` reads
it: shared by the survival command-line and external-validation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate(n, seed):
    """Patients with a proportional hazard in age, sex and a lab value (with gaps)."""
    rng = np.random.default_rng(seed)
    age = rng.normal(62, 10, n).round()
    sex = rng.choice(["F", "M"], n)
    lab = rng.normal(0, 1, n)
    log_hazard = 0.06 * (age - 62) + 0.8 * (sex == "M") + 0.8 * lab
    onset = rng.exponential(1000 * np.exp(-log_hazard))
    censored_at = rng.uniform(200, 3000, n)
    lab[rng.random(n) < 0.1] = np.nan
    frame = pd.DataFrame(
        {"patient_id": [f"P{seed}-{i:04d}" for i in range(n)], "age": age, "sex": sex, "lab": lab}
    )
    frame["days"] = np.minimum(onset, censored_at).round(1)
    frame["died"] = np.where(onset <= censored_at, "yes", "no")
    return frame
