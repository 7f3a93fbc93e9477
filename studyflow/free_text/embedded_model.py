"""Weights of the embedded grader's two logistic models, written by
`python -m bench.grading_bench --fit` from the tuning part of tests/data/short_answers.jsonl
(bench/grading_data.py: every third question is held out and never seen here)."""

MODEL: dict = {
    "at_least_half": {
        "bias": -5.9839,
        "sim_point": 2.2645,
        "sim_quote": 1.793,
        "overlap": 1.3217,
        "flipped": -1.2244,
        "sim_model": 0.7923,
        "sim_stem": -2.3677,
        "words": 1.3983,
        "margin": 0.2879,
    },
    "full": {
        "bias": -9.4816,
        "sim_point": 1.6463,
        "sim_quote": 2.1448,
        "overlap": 1.3491,
        "flipped": -1.1631,
        "sim_model": 0.5074,
        "sim_stem": -1.8924,
        "words": 2.3332,
        "margin": 0.5662,
    },
}
