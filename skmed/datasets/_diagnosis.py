"""The generating model behind :func:`skmed.datasets.load_diagnosis`.

A synthetic assisted-diagnosis table: one row per patient presenting to a clinic, with
demographics, vital signs, laboratory results (some not ordered), binary symptoms and, optionally,
the symptoms as a free-text list typed by a clinician. The label is one of five diagnoses with
imbalanced prevalence. Every number here is documented in ``descr/diagnosis.rst``; keep the two
in step when changing the model.

The model, per patient:

1. diagnosis ~ Categorical(PREVALENCE);
2. severity ~ Beta(2.5, 1.5) for the sick classes (0 for ``healthy``): mild cases overlap with the
   healthy population, severe ones are textbook;
3. demographics given the diagnosis (age, sex, smoking);
4. each lab or vital sign = population baseline (depends on age / sex) + severity x class shift
   + Gaussian noise, on a log scale for the skewed labs (WBC, CRP, NT-proBNP);
5. each symptom ~ Bernoulli(p_healthy + severity' x (p_class - p_healthy)), with severity'
   a shrunk version of the severity (symptoms are less graded than labs);
6. missingness: vital signs missing completely at random at small rates; laboratory panels
   ordered with a probability that depends only on observed columns (age, symptoms), i.e.
   missing at random (MAR) given the observed data;
7. optionally, a free-text symptom list rendered from the binary symptoms with synonyms,
   inconsistent case, separators and the odd typo.

All randomness comes from one :class:`numpy.random.RandomState` in a fixed order; the free text
is drawn last, so ``include_symptom_text`` does not change any other column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Diagnoses in documented order, with their prevalence (sums to 1).
CLASSES = ("healthy", "viral_infection", "bacterial_pneumonia", "heart_failure", "anaemia")
PREVALENCE = np.array([0.45, 0.25, 0.12, 0.10, 0.08])

TARGET_NAME = "diagnosis"
TEXT_COLUMN = "symptoms"

# --- demographics --------------------------------------------------------------------------
# per class: age ~ Normal(mean, sd), clipped to [18, 95] and rounded to whole years;
# P(sex = "F"); P(smoking = never, former, current)
_DEMOGRAPHICS = {
    "healthy": (46.0, 17.0, 0.52, (0.58, 0.24, 0.18)),
    "viral_infection": (41.0, 17.0, 0.52, (0.58, 0.22, 0.20)),
    "bacterial_pneumonia": (60.0, 18.0, 0.45, (0.42, 0.30, 0.28)),
    "heart_failure": (71.0, 11.0, 0.40, (0.40, 0.42, 0.18)),
    "anaemia": (50.0, 19.0, 0.70, (0.60, 0.24, 0.16)),
}
SMOKING_LEVELS = ("never", "former", "current")

# --- vital signs and labs ------------------------------------------------------------------
# column -> (unit, baseline sd, {class: shift at severity 1}); baselines are in _baselines().
# Columns marked log are generated on the natural-log scale (shift and sd in log units).
NUMERIC_COLUMNS = {
    "temperature_c": ("degC", 0.40, {"viral_infection": 1.3, "bacterial_pneumonia": 1.7}),
    "heart_rate_bpm": (
        "beats/min",
        12.0,
        {
            "viral_infection": 10.0,
            "bacterial_pneumonia": 20.0,
            "heart_failure": 14.0,
            "anaemia": 12.0,
        },
    ),
    "resp_rate_min": (
        "breaths/min",
        2.8,
        {"viral_infection": 1.5, "bacterial_pneumonia": 6.0, "heart_failure": 5.0, "anaemia": 1.5},
    ),
    "spo2_pct": (
        "%",
        1.4,
        {"viral_infection": -0.5, "bacterial_pneumonia": -4.5, "heart_failure": -3.5},
    ),
    "systolic_bp_mmhg": (
        "mmHg",
        16.0,
        {"bacterial_pneumonia": -10.0, "heart_failure": 6.0, "anaemia": -6.0},
    ),
    "wbc_10e9_l": (
        "10^9/L (log-normal)",
        0.26,
        {"viral_infection": -0.15, "bacterial_pneumonia": 0.55, "heart_failure": 0.05},
    ),
    "crp_mg_l": (
        "mg/L (log-normal)",
        0.9,
        {"viral_infection": 1.3, "bacterial_pneumonia": 2.8, "heart_failure": 0.7, "anaemia": 0.2},
    ),
    "haemoglobin_g_dl": (
        "g/dL",
        1.2,
        {"bacterial_pneumonia": -0.3, "heart_failure": -0.8, "anaemia": -4.0},
    ),
    "mcv_fl": ("fL", 5.0, {"heart_failure": 1.0, "anaemia": -12.0}),
    "ntprobnp_pg_ml": (
        "pg/mL (log-normal)",
        0.8,
        {"bacterial_pneumonia": 0.6, "heart_failure": 2.6, "anaemia": 0.3},
    ),
}
_LOG_COLUMNS = ("wbc_10e9_l", "crp_mg_l", "ntprobnp_pg_ml")
# physiological clipping range applied after generation, and the decimals kept when rounding
# (as a lab report would print them)
_CLIP_DECIMALS = {
    "temperature_c": (34.5, 41.5, 1),
    "heart_rate_bpm": (38.0, 180.0, 0),
    "resp_rate_min": (8.0, 45.0, 0),
    "spo2_pct": (70.0, 100.0, 0),
    "systolic_bp_mmhg": (70.0, 220.0, 0),
    "wbc_10e9_l": (0.5, 60.0, 1),
    "crp_mg_l": (0.1, 500.0, 1),
    "haemoglobin_g_dl": (4.0, 19.5, 1),
    "mcv_fl": (55.0, 120.0, 0),
    "ntprobnp_pg_ml": (5.0, 35000.0, 0),
}

# --- symptoms: P(present) for (healthy, viral, pneumonia, heart failure, anaemia) ----------
SYMPTOMS = {
    "fever": (0.04, 0.55, 0.70, 0.05, 0.05),
    "cough": (0.10, 0.55, 0.80, 0.35, 0.08),
    "sore_throat": (0.05, 0.40, 0.12, 0.04, 0.04),
    "dyspnoea": (0.05, 0.15, 0.60, 0.70, 0.35),
    "chest_pain": (0.04, 0.06, 0.30, 0.25, 0.10),
    "fatigue": (0.15, 0.50, 0.60, 0.65, 0.70),
    "headache": (0.10, 0.40, 0.20, 0.08, 0.30),
    "myalgia": (0.06, 0.45, 0.30, 0.06, 0.10),
    "oedema": (0.03, 0.03, 0.05, 0.55, 0.08),
    "dizziness": (0.05, 0.08, 0.10, 0.18, 0.40),
}
#: symptom probabilities interpolate with this share of the severity plus a floor of 1 - share
_SYMPTOM_SEVERITY_SHARE = 0.5

# --- missingness ---------------------------------------------------------------------------
# vital signs: missing completely at random with these rates
_VITAL_MCAR = {
    "temperature_c": 0.03,
    "heart_rate_bpm": 0.02,
    "resp_rate_min": 0.15,
    "spo2_pct": 0.04,
    "systolic_bp_mmhg": 0.03,
}
# panels: P(ordered) = sigmoid(intercept + sum(coef * observed feature))
# features: age in decades above 50, and binary symptoms
_PANELS = {
    "cbc": (
        ("wbc_10e9_l", "haemoglobin_g_dl", "mcv_fl"),
        1.0,
        {"age_dec": 0.3, "fever": 0.8, "fatigue": 0.8, "dizziness": 1.0, "dyspnoea": 0.6},
    ),
    "crp": (("crp_mg_l",), 0.0, {"age_dec": 0.2, "fever": 1.4, "cough": 0.8, "myalgia": 0.3}),
    "ntprobnp": (
        ("ntprobnp_pg_ml",),
        -1.8,
        {"age_dec": 0.5, "dyspnoea": 1.8, "oedema": 2.2, "chest_pain": 0.8},
    ),
}

# --- free text -----------------------------------------------------------------------------
_SYNONYMS = {
    "fever": ("fever", "Fever", "pyrexia", "febrile", "high temp", "temp", "fevr"),
    "cough": ("cough", "dry cough", "Cough", "productive cough", "coughing", "cougH"),
    "sore_throat": ("sore throat", "Sore throat", "throat pain", "ST", "sore-throat"),
    "dyspnoea": ("dyspnoea", "dyspnea", "SOB", "short of breath", "breathless", "Dyspnoea"),
    "chest_pain": ("chest pain", "Chest pain", "CP", "chest tightness", "chest pian"),
    "fatigue": ("fatigue", "Fatigue", "tired", "tiredness", "lethargy", "fatique"),
    "headache": ("headache", "Headache", "HA", "head ache", "headahce"),
    "myalgia": ("myalgia", "muscle aches", "Myalgia", "body aches", "aching muscles"),
    "oedema": ("oedema", "edema", "ankle swelling", "swollen ankles", "Oedema", "leg swelling"),
    "dizziness": ("dizziness", "dizzy", "Dizziness", "lightheaded", "light-headed"),
}
_NO_SYMPTOMS = ("none", "None", "no complaints", "nil", "asymptomatic", "")
_SEPARATORS = ("; ", "; ", "; ", ";", ", ", " ; ", " / ")
#: share of rows whose free text was not recorded at all (missing value)
_TEXT_MISSING = 0.04
#: share of present symptoms the clinician did not write down
_TEXT_OMIT = 0.08


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _baselines(age: np.ndarray, female: np.ndarray) -> dict[str, np.ndarray]:
    """Population means (healthy patient of this age and sex); log scale for _LOG_COLUMNS."""
    dec = (age - 50.0) / 10.0
    return {
        "temperature_c": np.full(age.shape, 36.8),
        "heart_rate_bpm": 74.0 + 0.0 * dec,
        "resp_rate_min": 15.0 + 0.3 * dec,
        "spo2_pct": 97.6 - 0.3 * dec,
        "systolic_bp_mmhg": 124.0 + 4.0 * dec - 5.0 * female,
        "wbc_10e9_l": np.full(age.shape, np.log(7.0)),
        "crp_mg_l": np.log(2.5) + 0.08 * dec,
        "haemoglobin_g_dl": 14.6 - 1.4 * female - 0.15 * np.clip(dec, 0, None),
        "mcv_fl": 90.0 + 0.5 * dec,
        "ntprobnp_pg_ml": np.log(60.0) + 0.35 * dec + 0.2 * female,
    }


def generate(
    n_samples: int, rng: np.random.RandomState, include_symptom_text: bool
) -> pd.DataFrame:
    """Return ``(X, y)``: the feature frame and the diagnosis series (string labels)."""
    n_classes = len(CLASSES)
    # 1. diagnosis
    code = rng.choice(n_classes, size=n_samples, p=PREVALENCE)
    labels = np.asarray(CLASSES, dtype=object)[code]
    # 2. severity
    severity = np.where(code == 0, 0.0, rng.beta(2.5, 1.5, size=n_samples))

    # 3. demographics
    age_mean, age_sd, p_female, p_smoke = (
        np.array(column)[code] for column in zip(*(_DEMOGRAPHICS[c] for c in CLASSES))
    )
    age = np.clip(np.rint(rng.normal(age_mean, age_sd)), 18, 95).astype(np.int64)
    female = rng.uniform(size=n_samples) < p_female
    sex = np.where(female, "F", "M").astype(object)
    smoke_idx = (rng.uniform(size=(n_samples, 1)) > np.cumsum(p_smoke, axis=1)).sum(axis=1)
    smoking = np.asarray(SMOKING_LEVELS, dtype=object)[np.minimum(smoke_idx, 2)]

    # 4. vital signs and labs
    base = _baselines(age.astype(float), female.astype(float))
    numeric: dict[str, np.ndarray] = {}
    for col, (_unit, sd, shifts) in NUMERIC_COLUMNS.items():
        shift = np.array([shifts.get(c, 0.0) for c in CLASSES])[code]
        value = base[col] + severity * shift + rng.normal(0.0, sd, size=n_samples)
        if col == "spo2_pct" or col == "resp_rate_min":  # smokers: slightly worse
            value = value + (smoking == "current") * (-0.6 if col == "spo2_pct" else 0.5)
        if col in _LOG_COLUMNS:
            value = np.exp(value)
        lo, hi, decimals = _CLIP_DECIMALS[col]
        numeric[col] = np.round(np.clip(value, lo, hi), decimals)

    # 5. symptoms
    share = _SYMPTOM_SEVERITY_SHARE
    symptoms: dict[str, np.ndarray] = {}
    strength = (1.0 - share) + share * severity
    for name, probs in SYMPTOMS.items():
        p_class = np.asarray(probs)[code]
        p = probs[0] + strength * (p_class - probs[0])
        symptoms[name] = (rng.uniform(size=n_samples) < p).astype(np.int64)

    # 6. missingness
    for col, rate in _VITAL_MCAR.items():
        numeric[col] = np.where(rng.uniform(size=n_samples) < rate, np.nan, numeric[col])
    observed = {"age_dec": (age - 50.0) / 10.0, **symptoms}
    for columns, intercept, coefs in _PANELS.values():
        z = np.full(n_samples, float(intercept))
        for feat, coef in coefs.items():
            z = z + coef * observed[feat]
        ordered = rng.uniform(size=n_samples) < _sigmoid(z)
        for col in columns:
            numeric[col] = np.where(ordered, numeric[col], np.nan)

    data: dict[str, np.ndarray] = {"age": age, "sex": sex, "smoking": smoking}
    data.update(numeric)
    data.update(symptoms)
    # 7. free text, drawn last so that the other columns do not depend on the option
    if include_symptom_text:
        data[TEXT_COLUMN] = _symptom_text(symptoms, rng)

    X = pd.DataFrame(data)
    for col in ("sex", "smoking"):
        X[col] = X[col].astype(str)  # pandas' default string dtype: object (2.x) or str (3.x)
    y = pd.Series(labels, name=TARGET_NAME).astype(str)
    return X, y


def _symptom_text(symptoms: dict[str, np.ndarray], rng: np.random.RandomState) -> np.ndarray:
    """Render the binary symptoms as the free text a clinician might type."""
    names = list(symptoms)
    n_samples = len(next(iter(symptoms.values())))
    out = np.empty(n_samples, dtype=object)
    for i in range(n_samples):
        present = [s for s in names if symptoms[s][i]]
        kept = [s for s in present if rng.uniform() >= _TEXT_OMIT]
        if present and not kept:  # something was written down
            kept = [present[rng.randint(len(present))]]
        order = rng.permutation(len(kept))
        words = [_SYNONYMS[kept[j]][rng.randint(len(_SYNONYMS[kept[j]]))] for j in order]
        if words:
            sep = _SEPARATORS[rng.randint(len(_SEPARATORS))]
            text = sep.join(words)
            if rng.uniform() < 0.15:
                text += sep.rstrip() if rng.uniform() < 0.5 else " "
        else:
            text = _NO_SYMPTOMS[rng.randint(len(_NO_SYMPTOMS))]
        out[i] = None if rng.uniform() < _TEXT_MISSING else text
    return out
