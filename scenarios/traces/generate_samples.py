#!/usr/bin/env python3
"""Generates the SYNTHETIC sample traces in this directory (no real trace is redistributed).

The files follow the public formats exactly (Azure LLM inference trace CSV, BurstGPT CSV,
Mooncake JSONL) so the readers in harness/traces and the trace-azure scenario can be tested
offline. The numbers are random draws with a fixed seed, shaped only loosely like the real
traces (lognormal lengths, a load swell, shared prompt prefixes). Re-run to regenerate:

    python3 scenarios/traces/generate_samples.py
"""
import datetime
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def lognormal(rng, mean, sd, lo, hi):
    sigma = math.sqrt(math.log(1 + (sd * sd) / (mean * mean)))
    mu = math.log(mean) - sigma * sigma / 2
    return int(min(hi, max(lo, round(rng.lognormvariate(mu, sigma)))))


def arrivals(rng, seconds, rate_at):
    """Non-homogeneous Poisson arrivals by thinning."""
    peak = max(rate_at(t) for t in range(int(seconds) + 1))
    t = 0.0
    while True:
        t += rng.expovariate(peak)
        if t >= seconds:
            return
        if rng.random() < rate_at(t) / peak:
            yield t


def azure():
    rng = random.Random(2023)
    start = datetime.datetime(2023, 11, 16, 18, 0, 0)
    # 15 minutes: 4 req/s rising to 14 req/s around minute 9, back to 6 req/s.
    rate = lambda t: 4 + 10 * math.exp(-((t - 540) / 150) ** 2) + 2 * (t > 540)
    with open(os.path.join(HERE, "azure-conv-sample.csv"), "w") as f:
        f.write("TIMESTAMP,ContextTokens,GeneratedTokens\n")
        for t in arrivals(rng, 900, rate):
            ts = start + datetime.timedelta(seconds=t)
            frac = f"{ts.microsecond:06d}{rng.randrange(10)}"  # 7 fractional digits, as in the trace
            ctx = lognormal(rng, 1000, 900, 16, 8000)
            gen = lognormal(rng, 230, 200, 1, 2000)
            f.write(f"{ts:%Y-%m-%d %H:%M:%S}.{frac},{ctx},{gen}\n")


def burstgpt():
    rng = random.Random(4)
    rate = lambda t: 1.5 + 6 * (300 <= t < 360)  # a one-minute burst
    with open(os.path.join(HERE, "burstgpt-sample.csv"), "w") as f:
        f.write("Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total tokens,Log Type\n")
        for t in arrivals(rng, 600, rate):
            req = lognormal(rng, 600, 700, 1, 6000)
            failed = rng.random() < 0.01
            resp = 0 if failed else lognormal(rng, 280, 250, 1, 3000)
            model = "GPT-4" if rng.random() < 0.25 else "ChatGPT"
            log = "Conversation log" if rng.random() < 0.7 else "API log"
            session = rng.randrange(1, 400) if log == "Conversation log" else ""
            elapsed = round(0.02 * resp + rng.random(), 3)
            f.write(f"{int(t)},{session},{elapsed},{model},{req},{resp},{req + resp},{log}\n")


def mooncake():
    rng = random.Random(7)
    block = 512
    next_id = 0
    prefixes = []  # shared system prompts / documents: chains of block hash ids
    for _ in range(12):
        n = rng.randint(1, 8)
        prefixes.append(list(range(next_id, next_id + n)))
        next_id += n
    with open(os.path.join(HERE, "mooncake-sample.jsonl"), "w") as f:
        for t in arrivals(rng, 600, lambda t: 3.0):
            ids = []
            if rng.random() < 0.7:
                ids = list(rng.choice(prefixes))
            extra = rng.randint(1, 6)
            ids += list(range(next_id, next_id + extra))
            next_id += extra
            inp = len(ids) * block - rng.randint(0, block - 1)
            out = lognormal(rng, 300, 250, 1, 2000)
            f.write(json.dumps({"timestamp": int(t * 1000), "input_length": inp, "output_length": out, "hash_ids": ids}) + "\n")


if __name__ == "__main__":
    azure()
    burstgpt()
    mooncake()
