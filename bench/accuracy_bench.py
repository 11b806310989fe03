#!/usr/bin/python3
"""Accuracy of ming's training defaults next to the models a user would otherwise train.

usage: accuracy_bench.py MING_BINARY [--work DIR] [--seeds N] [--datasets a,b,...]
                         [--models ming,torch,sklearn,hgb,xgb]
                         [--candidate 'NAME:--flag value ...'] ... [--json OUT] [--md OUT]
                         [--merge EARLIER.json ...]

For every data set and seed the rows are split once (stratified for classification,
70/15/15 by the seed) into train/val/test CSV files; every model sees exactly these three
sets:
  ming        `ming train train.csv --label L --val val.csv --test test.csv` with nothing else
              (the defaults), plus one run per --candidate with the candidate's extra flags;
  torch       a carefully set-up PyTorch MLP: train-set standardisation, mean imputation +
              missing indicators, one-hot categoricals, 256-128 ReLU with dropout 0.1,
              AdamW (1e-3, weight decay 1e-2), batch 256, up to 200 epochs, early stopping on
              validation loss (patience 20) with the best weights restored;
  sklearn     MLPClassifier/MLPRegressor (256,128) with early_stopping=True, fitted on
              train+val with validation_fraction set to the val share (its own random
              hold-out of the same size);
  hgb         HistGradientBoosting with early stopping, fitted like sklearn;
  xgb         XGBoost with its defaults (hist, eta 0.3, depth 6), up to 1000 trees, early
              stopping on val (50 rounds).
Classification reports test accuracy, regression test RMSE and R2; wall time is per fit.
Threads: ming uses all cores, torch/xgb are given os.cpu_count() threads.
"""
import argparse
import csv
import json
import math
import os
import shlex
import subprocess
import sys
import time

# Spinning OpenMP workers (torch, HistGradientBoosting) collapse on a busy shared machine;
# passive waiting keeps their timings honest. Must be set before the libraries load.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

CPUS = os.cpu_count() or 1

# ----------------------------------------------------------------------------------------
# Data sets. Each builder returns a dict: name, task ('binary'|'multiclass'|'regression'),
# label name, columns {name: list of values (float, str or None for missing)}, kinds
# {name: 'numeric'|'categorical'}, y (numpy array: class ids or floats).
# ----------------------------------------------------------------------------------------


def _from_matrix(name, task, X, y, names, label="target"):
    cols = {n: X[:, j].astype(float) for j, n in enumerate(names)}
    kinds = {n: "numeric" for n in names}
    return dict(name=name, task=task, label=label, cols=cols, kinds=kinds, y=np.asarray(y))


def ds_breast_cancer(work):
    from sklearn.datasets import load_breast_cancer
    d = load_breast_cancer()
    return _from_matrix("breast_cancer", "binary", d.data, d.target, list(d.feature_names), "malignant")


def ds_wine(work):
    from sklearn.datasets import load_wine
    d = load_wine()
    return _from_matrix("wine", "multiclass", d.data, d.target, list(d.feature_names), "cultivar")


def ds_iris(work):
    from sklearn.datasets import load_iris
    d = load_iris()
    names = [n.replace(" (cm)", "").replace(" ", "_") for n in d.feature_names]
    return _from_matrix("iris", "multiclass", d.data, d.target, names, "species")


def ds_digits(work):
    from sklearn.datasets import load_digits
    d = load_digits()
    return _from_matrix("digits", "multiclass", d.data, d.target, list(d.feature_names), "digit")


def ds_diabetes(work):
    from sklearn.datasets import load_diabetes
    d = load_diabetes(scaled=False)
    return _from_matrix("diabetes", "regression", d.data, d.target, list(d.feature_names), "progression")


def _read_csv_dataset(name, path, label, task):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    li = header.index(label)
    cols, kinds = {}, {}
    for j, h in enumerate(header):
        if j == li:
            continue
        vals = [r[j] for r in rows]
        present = [v for v in vals if v != ""]
        try:
            nums = [float(v) if v != "" else math.nan for v in vals]
            cols[h], kinds[h] = np.array(nums), "numeric"
        except ValueError:
            if set(present) <= {"yes", "no"}:
                cols[h] = np.array([math.nan if v == "" else float(v == "yes") for v in vals])
                kinds[h] = "numeric"
            else:
                cols[h], kinds[h] = [v if v != "" else None for v in vals], "categorical"
    labels = [r[li] for r in rows]
    if task == "regression":
        y = np.array([float(v) for v in labels])
    else:
        classes = sorted(set(labels))
        y = np.array([classes.index(v) for v in labels])
    return dict(name=name, task=task, label=label, cols=cols, kinds=kinds, y=y, raw_label=labels)


def ds_invitations(work, ming):
    path = os.path.join(work, "invitations_src.csv")
    if not os.path.exists(path):
        subprocess.run([ming, "generate", "invitations", "--rows", "20000", "--seed", "1", "-o", path],
                       check=True, stdout=subprocess.DEVNULL)
    return _read_csv_dataset("invitations", path, "accepted", "binary")


def ds_synth(work):
    """make_classification: 3 classes, 12 informative, 8 redundant, 4 repeated, 16 noise
    features, 5% flipped labels, two clusters per class, then skew and scale like raw data."""
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=10000, n_features=40, n_informative=12, n_redundant=8,
                               n_repeated=4, n_classes=3, n_clusters_per_class=2, flip_y=0.05,
                               class_sep=1.0, random_state=7)
    rng = np.random.default_rng(7)
    X = X * rng.uniform(0.1, 100, X.shape[1]) + rng.uniform(-50, 50, X.shape[1])
    X[:, :6] = np.exp(X[:, :6] / np.abs(X[:, :6]).std(axis=0))  # some log-normal-like columns
    return _from_matrix("synth_3class", "multiclass", X, y, [f"f{j}" for j in range(X.shape[1])], "class")


def _mixed_features(n, rng):
    """Numeric (skewed, heavy-tailed, counts), boolean and categorical columns (3 to 150
    levels, Zipf frequencies), with values missing at random and not at random."""
    cols, kinds = {}, {}
    age = rng.normal(40, 12, n).clip(18, 90)
    income = np.exp(rng.normal(10.5, 0.7, n))
    visits = rng.poisson(3, n).astype(float)
    score = rng.standard_t(3, n) * 10 + 50
    tenure = rng.exponential(5, n)
    x6 = rng.normal(0, 1, n)
    noise1, noise2 = rng.normal(0, 1, n), rng.uniform(0, 1, n)
    member = (rng.uniform(size=n) < 0.3).astype(float)
    region = rng.choice(["north", "south", "east", "west", "centre"], n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    plan = rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1])
    zipf = rng.zipf(1.6, n).clip(1, 150)
    shop = np.array([f"shop{v:03d}" for v in zipf])
    channel = rng.choice([f"ch{k}" for k in range(20)], n)
    shop_effect = rng.normal(0, 1, 151)
    ch_effect = rng.normal(0, 0.7, 20)
    region_effect = dict(north=0.5, south=-0.3, east=0.0, west=0.8, centre=-0.6)
    plan_effect = dict(basic=-0.4, plus=0.2, pro=1.0)
    f = (0.04 * (age - 40) - 0.0009 * (age - 40) ** 2 + 0.8 * (np.log(income) - 10.5)
         + 0.9 * np.sin(visits) + 0.02 * (score - 50) + 0.7 * member * (x6 > 0)
         - 0.15 * tenure + 0.6 * np.tanh(x6) * (plan == "pro")
         + np.array([region_effect[r] for r in region]) + np.array([plan_effect[p] for p in plan])
         + shop_effect[zipf] + ch_effect[[int(c[2:]) for c in channel]])
    num = dict(age=age, income=income, visits=visits, score=score, tenure=tenure, x6=x6,
               noise1=noise1, noise2=noise2, member=member)
    for k, v in num.items():
        v = v.copy()
        v[rng.uniform(size=n) < 0.08] = math.nan  # missing at random
        cols[k], kinds[k] = v, "numeric"
    cols["income"][income > np.quantile(income, 0.9) * (rng.uniform(size=n) < 0.5)] = math.nan  # not at random
    for k, v in dict(region=region, plan=plan, shop=shop, channel=channel).items():
        lst = [str(s) for s in v]
        for i in np.nonzero(rng.uniform(size=n) < 0.05)[0]:
            lst[i] = None
        cols[k], kinds[k] = lst, "categorical"
    return cols, kinds, f


def ds_mixed_binary(work):
    rng = np.random.default_rng(11)
    n = 12000
    cols, kinds, f = _mixed_features(n, rng)
    logit = f - np.median(f) - 0.5 + rng.logistic(0, 0.6, n)
    y = (logit > 0).astype(int)
    return dict(name="mixed_binary", task="binary", label="churned", cols=cols, kinds=kinds, y=y)


def ds_mixed_regression(work):
    rng = np.random.default_rng(12)
    n = 8000
    cols, kinds, f = _mixed_features(n, rng)
    y = 100 + 25 * f + rng.normal(0, 15, n)
    return dict(name="mixed_regression", task="regression", label="spend", cols=cols, kinds=kinds, y=y)


def ds_wide(work):
    """300 numeric columns x 60,000 rows, binary: 30 informative, 30 redundant, 240 noise."""
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=60000, n_features=300, n_informative=30, n_redundant=30,
                               n_classes=2, n_clusters_per_class=3, flip_y=0.03, class_sep=0.8,
                               random_state=3)
    X = X.astype(np.float32)
    return _from_matrix("wide", "binary", X, y, [f"x{j}" for j in range(300)], "label")


def ds_many_shops(work):
    """20,000 rows; a field of 1,000 equally common shops, each with its own effect, next to
    a number and a 5-level region: one-hot of the top 64 shops sees 6 % of the rows' shops,
    an embedding can learn them all (about 14 training rows each)."""
    rng = np.random.default_rng(13)
    n = 20000
    shop_id = rng.integers(0, 1000, n)
    shop_effect = rng.normal(0, 1.5, 1000)
    x = rng.normal(0, 1, n)
    region = rng.choice(["north", "south", "east", "west", "centre"], n)
    region_effect = dict(north=0.4, south=-0.2, east=0.0, west=0.6, centre=-0.5)
    logit = shop_effect[shop_id] + x + np.array([region_effect[r] for r in region]) + rng.logistic(0, 0.3, n)
    shop = [f"shop{v:04d}" for v in shop_id]
    for i in np.nonzero(rng.uniform(size=n) < 0.02)[0]:
        shop[i] = None
    cols = dict(x=x, region=[str(r) for r in region], shop=shop)
    kinds = dict(x="numeric", region="categorical", shop="categorical")
    return dict(name="many_shops", task="binary", label="bought", cols=cols, kinds=kinds,
                y=(logit > 0).astype(int))


DATASETS = {
    "breast_cancer": ds_breast_cancer,
    "wine": ds_wine,
    "iris": ds_iris,
    "digits": ds_digits,
    "diabetes": ds_diabetes,
    "invitations": ds_invitations,
    "synth_3class": ds_synth,
    "mixed_binary": ds_mixed_binary,
    "mixed_regression": ds_mixed_regression,
    "wide": ds_wide,
}
# Named with --datasets only (not in the main table): high-cardinality categoricals,
# where ming embeds and the Python baselines one-hot the top 64 levels.
EXTRA_DATASETS = {"many_shops": ds_many_shops}

# ----------------------------------------------------------------------------------------
# Splits and files
# ----------------------------------------------------------------------------------------


def split_indices(d, seed):
    from sklearn.model_selection import train_test_split
    n = len(d["y"])
    idx = np.arange(n)
    strat = d["y"] if d["task"] != "regression" else None
    rest, test = train_test_split(idx, test_size=0.15, random_state=seed, stratify=strat)
    strat2 = d["y"][rest] if strat is not None else None
    train, val = train_test_split(rest, test_size=0.15 / 0.85, random_state=seed, stratify=strat2)
    return np.sort(train), np.sort(val), np.sort(test)


def _fmt(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        return repr(float(np.float32(v))) if abs(v) < 1e15 else repr(float(v))
    return str(v)


def write_csv(d, rows, path):
    names = list(d["cols"])
    label = d["label"]
    ylab = d.get("raw_label")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + [label])
        colvals = [d["cols"][n] for n in names]
        for r in rows:
            lab = ylab[r] if ylab is not None else (
                _fmt(float(d["y"][r])) if d["task"] == "regression" else str(int(d["y"][r])))
            w.writerow([_fmt(c[r]) for c in colvals] + [lab])


def encode(d, train, others, max_categories=64):
    """What a careful practitioner does: numeric -> impute the train mean, add a missing
    indicator where the train column has gaps, standardise on train; categorical -> one-hot
    of the train set's most frequent levels (missing is all zeros)."""
    blocks = [[] for _ in range(1 + len(others))]
    parts = [train] + list(others)
    for name, kind in d["kinds"].items():
        col = d["cols"][name]
        if kind == "numeric":
            x = np.asarray(col, dtype=np.float64)
            xt = x[train]
            miss = np.isnan(xt)
            mean = float(np.nanmean(xt)) if (~miss).any() else 0.0
            std = float(np.nanstd(xt)) if (~miss).any() else 1.0
            std = std if std > 0 else 1.0
            for b, rows in zip(blocks, parts):
                v = x[rows]
                m = np.isnan(v)
                b.append(((np.where(m, mean, v) - mean) / std)[:, None])
                if miss.any():
                    b.append(m.astype(np.float64)[:, None])
        else:
            from collections import Counter
            cnt = Counter(col[i] for i in train if col[i] is not None)
            levels = [k for k, _ in sorted(cnt.items(), key=lambda kv: (-kv[1], kv[0]))[:max_categories]]
            pos = {k: j for j, k in enumerate(levels)}
            for b, rows in zip(blocks, parts):
                oh = np.zeros((len(rows), len(levels)))
                for i, r in enumerate(rows):
                    j = pos.get(col[r])
                    if j is not None:
                        oh[i, j] = 1.0
                b.append(oh)
    return [np.hstack(b).astype(np.float32) for b in blocks]


# ----------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------


def metrics_of(task, y_true, pred):
    if task == "regression":
        err = pred - y_true
        rmse = float(np.sqrt(np.mean(err ** 2)))
        tot = float(np.sum((y_true - y_true.mean()) ** 2))
        return dict(rmse=rmse, r2=1 - float(np.sum(err ** 2)) / tot if tot > 0 else 0.0)
    return dict(accuracy=float(np.mean(pred == y_true)))


def run_ming(ming, files, d, extra, threads):
    cmd = [ming, "train", files["train"], "--label", d["label"], "--val", files["val"],
           "--test", files["test"], "-o", files["model"], "--json"] + extra
    if threads:
        cmd += ["--threads", str(threads)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        return dict(error=f"exit {p.returncode}: {' '.join(shlex.quote(c) for c in cmd)}: "
                    + (p.stderr.strip().splitlines() or [""])[-1])
    summary = None
    for line in p.stdout.splitlines():
        if line.startswith("{") and '"summary"' in line:
            summary = json.loads(line)
    if summary is None:
        return dict(error="no summary line: " + " ".join(cmd))
    t = summary["metrics"]["test"]
    m = dict(rmse=t["rmse"], r2=t["r2"]) if d["task"] == "regression" else dict(accuracy=t["accuracy"])
    m.update(seconds=secs, epochs=summary.get("epochs_run"), best_epoch=summary.get("best_epoch"))
    return m


def run_torch(d, Xtr, Xva, Xte, ytr, yva, yte, seed, threads, init="torch"):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    task = d["task"]
    t0 = time.perf_counter()
    if task == "regression":
        mu, sd = float(ytr.mean()), float(ytr.std()) or 1.0
        ttr = torch.tensor((ytr - mu) / sd, dtype=torch.float32)[:, None]
        tva = torch.tensor((yva - mu) / sd, dtype=torch.float32)[:, None]
        out, loss_fn = 1, nn.MSELoss()
    elif task == "binary":
        ttr = torch.tensor(ytr, dtype=torch.float32)[:, None]
        tva = torch.tensor(yva, dtype=torch.float32)[:, None]
        out, loss_fn = 1, nn.BCEWithLogitsLoss()
    else:
        ttr, tva = torch.tensor(ytr, dtype=torch.long), torch.tensor(yva, dtype=torch.long)
        out, loss_fn = int(max(ytr.max(), yva.max(), yte.max())) + 1, nn.CrossEntropyLoss()
    xtr, xva, xte = (torch.from_numpy(a) for a in (Xtr, Xva, Xte))
    layers, width = [], Xtr.shape[1]
    for h in (256, 128):
        layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(0.1)]
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, out))
    if init == "he":  # ming's initialisation: He-uniform hidden, Glorot-uniform output, zero bias
        lin = [m for m in model if isinstance(m, nn.Linear)]
        for i, m in enumerate(lin):
            fan_in, fan_out = m.in_features, m.out_features
            bound = math.sqrt(6 / (fan_in + fan_out)) if i == len(lin) - 1 else math.sqrt(6 / fan_in)
            nn.init.uniform_(m.weight, -bound, bound)
            nn.init.zeros_(m.bias)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    best, bad, epochs, best_epoch = math.inf, 0, 0, 0
    best_state = {k: v.clone() for k, v in model.state_dict().items()}
    n, B = xtr.shape[0], 256
    for epoch in range(200):
        epochs += 1
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, B):
            bi = perm[i:i + B]
            opt.zero_grad()
            loss = loss_fn(model(xtr[bi]), ttr[bi])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            vl = float(loss_fn(model(xva), tva))
        if vl < best:
            best, bad, best_epoch = vl, 0, epoch + 1
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= 20:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        o = model(xte)
    if task == "regression":
        pred = o[:, 0].numpy() * sd + mu
    elif task == "binary":
        pred = (o[:, 0] > 0).numpy().astype(int)
    else:
        pred = o.argmax(1).numpy()
    secs = time.perf_counter() - t0
    m = metrics_of(task, yte, pred)
    m.update(seconds=secs, epochs=epochs, best_epoch=best_epoch)
    return m


def run_sklearn(d, Xtr, Xva, Xte, ytr, yva, yte, seed, threads):
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    X = np.vstack([Xtr, Xva])
    y = np.concatenate([ytr, yva])
    frac = len(yva) / len(y)
    t0 = time.perf_counter()
    kw = dict(hidden_layer_sizes=(256, 128), early_stopping=True, validation_fraction=frac,
              max_iter=200, random_state=seed)
    if d["task"] == "regression":
        mu, sd = float(ytr.mean()), float(ytr.std()) or 1.0
        model = MLPRegressor(**kw).fit(X, (y - mu) / sd)
        pred = model.predict(Xte) * sd + mu
    else:
        model = MLPClassifier(**kw).fit(X, y)
        pred = model.predict(Xte)
    secs = time.perf_counter() - t0
    m = metrics_of(d["task"], yte, pred)
    m.update(seconds=secs, epochs=model.n_iter_)
    return m


def run_hgb(d, Xtr, Xva, Xte, ytr, yva, yte, seed, threads):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    X = np.vstack([Xtr, Xva])
    y = np.concatenate([ytr, yva])
    kw = dict(max_iter=1000, early_stopping=True, validation_fraction=len(yva) / len(y),
              n_iter_no_change=20, random_state=seed)
    t0 = time.perf_counter()
    cls = HistGradientBoostingRegressor if d["task"] == "regression" else HistGradientBoostingClassifier
    model = cls(**kw).fit(X, y)
    pred = model.predict(Xte)
    secs = time.perf_counter() - t0
    m = metrics_of(d["task"], yte, pred)
    m.update(seconds=secs, epochs=model.n_iter_)
    return m


def run_xgb(d, Xtr, Xva, Xte, ytr, yva, yte, seed, threads):
    import xgboost as xgb
    kw = dict(n_estimators=1000, learning_rate=0.3, max_depth=6, tree_method="hist",
              early_stopping_rounds=50, n_jobs=threads, random_state=seed)
    t0 = time.perf_counter()
    if d["task"] == "regression":
        model = xgb.XGBRegressor(**kw)
    else:
        model = xgb.XGBClassifier(**kw)
    model.fit(Xtr, ytr, eval_set=[(Xva, yva)], verbose=False)
    pred = model.predict(Xte)
    secs = time.perf_counter() - t0
    m = metrics_of(d["task"], yte, pred)
    m.update(seconds=secs, epochs=int(model.best_iteration) + 1)
    return m


def run_torch_he(*a):
    return run_torch(*a, init="he")


BASELINES = {"torch": run_torch, "torch_heinit": run_torch_he, "sklearn": run_sklearn, "hgb": run_hgb, "xgb": run_xgb}

# ----------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------


def aggregate(records):
    """{(dataset, model): dict(task, n, mean metrics, seconds)} over seeds."""
    groups = {}
    for r in records:
        if "error" in r:
            continue
        groups.setdefault((r["dataset"], r["model"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        a = dict(task=rs[0]["task"], n=len(rs))
        for k in ("accuracy", "rmse", "r2", "seconds", "epochs"):
            vals = [r[k] for r in rs if r.get(k) is not None]
            if vals:
                a[k] = float(np.mean(vals))
        out[key] = a
    return out


def report(records, models, datasets, ref="torch"):
    agg = aggregate(records)
    lines = []
    head = "| data set | task | " + " | ".join(models) + " |"
    lines += [head, "|" + " --- |" * (2 + len(models))]
    for ds in datasets:
        task = next((a["task"] for (d, _), a in agg.items() if d == ds), None)
        if task is None:
            continue
        cells = []
        for m in models:
            a = agg.get((ds, m))
            if a is None:
                cells.append("—")
            elif task == "regression":
                cells.append(f"{a['rmse']:.4g} / {a['r2']:.3f} ({a['seconds']:.1f}s)")
            else:
                cells.append(f"{100 * a['accuracy']:.2f}% ({a['seconds']:.1f}s)")
        lines.append(f"| {ds} | {task} | " + " | ".join(cells) + " |")
    # Summary against the reference: mean accuracy difference (points) over classification
    # sets, mean R2 difference over regression sets, wins/ties/losses.
    if any(m == ref for m in models):
        lines.append("")
        lines.append(f"| model | mean Δacc vs {ref} (pts) | mean ΔR2 vs {ref} | wins/ties/losses vs {ref} | mean rank | total time |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        ranks = {m: [] for m in models}
        for ds in datasets:
            present = [m for m in models if (ds, m) in agg]
            if not present:
                continue
            task = agg[(ds, present[0])]["task"]
            key = "r2" if task == "regression" else "accuracy"
            vals = sorted((-agg[(ds, m)][key], m) for m in present)
            for m in present:
                v = -agg[(ds, m)][key]
                ranks[m].append(1 + sum(1 for w, _ in vals if w < v - 1e-12) + 0.5 * (sum(1 for w, _ in vals if abs(w - v) <= 1e-12) - 1))
        for m in models:
            dacc, dr2, w, t, l, secs = [], [], 0, 0, 0, 0.0
            for ds in datasets:
                a, b = agg.get((ds, m)), agg.get((ds, ref))
                if a is None:
                    continue
                secs += a["seconds"] * a["n"]
                if b is None:
                    continue
                if a["task"] == "regression":
                    diff = a["r2"] - b["r2"]
                    dr2.append(diff)
                    tol = 0.002
                else:
                    diff = 100 * (a["accuracy"] - b["accuracy"])
                    dacc.append(diff)
                    tol = 0.1
                w, t, l = w + (diff > tol), t + (abs(diff) <= tol), l + (diff < -tol)
            rk = f"{np.mean(ranks[m]):.2f}" if ranks[m] else "—"
            da = f"{np.mean(dacc):+.2f}" if dacc else "—"
            dr = f"{np.mean(dr2):+.4f}" if dr2 else "—"
            lines.append(f"| {m} | {da} | {dr} | {w}/{t}/{l} | {rk} | {secs:.0f}s |"
                         if dacc or dr2 else f"| {m} | — | — | — | {rk} | {secs:.0f}s |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ming")
    ap.add_argument("--work", default="/tmp/ming_accuracy_bench")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--wide-seeds", type=int, default=1, help="seeds for the wide set (slow)")
    ap.add_argument("--small-seeds", type=int, default=0,
                    help="seeds for the data sets under 2,000 rows (0: --seeds)")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--models", default="ming,torch,sklearn,hgb,xgb")
    ap.add_argument("--candidate", action="append", default=[],
                    help="'NAME:--flag value ...' extra ming run with these flags added")
    ap.add_argument("--threads", type=int, default=0, help="ming --threads (0: ming's default)")
    ap.add_argument("--json", help="write all records here")
    ap.add_argument("--md", help="write the markdown tables here")
    ap.add_argument("--merge", action="append", default=[], help="records from an earlier --json run")
    args = ap.parse_args()

    ming = os.path.abspath(args.ming)
    os.makedirs(args.work, exist_ok=True)
    datasets = [s for s in args.datasets.split(",") if s]
    models = [s for s in args.models.split(",") if s]
    cands = []
    for c in args.candidate:
        name, _, flags = c.partition(":")
        cands.append((name, shlex.split(flags)))
    for m in models:
        if m != "ming" and m not in BASELINES:
            sys.exit(f"unknown model {m}")
    if "xgb" in models:
        try:
            import xgboost  # noqa: F401
        except ImportError:
            print("xgboost not importable: skipping xgb (apt-get install python3-xgboost)", file=sys.stderr)
            models.remove("xgb")

    records = []
    for path in args.merge:
        with open(path) as f:
            records += json.load(f)
    for ds in datasets:
        builder = DATASETS.get(ds) or EXTRA_DATASETS.get(ds)
        if builder is None:
            sys.exit(f"unknown data set {ds}; known: {', '.join(list(DATASETS) + list(EXTRA_DATASETS))}")
        d = builder(args.work, ming) if ds == "invitations" else builder(args.work)
        nseeds = args.wide_seeds if ds == "wide" else args.seeds
        if len(d["y"]) < 2000 and args.small_seeds > 0:
            nseeds = args.small_seeds
        for seed in range(nseeds):
            tr, va, te = split_indices(d, seed)
            base = os.path.join(args.work, f"{ds}_s{seed}")
            files = {k: f"{base}_{k}.csv" for k in ("train", "val", "test")}
            files["model"] = f"{base}.ming"
            for k, rows in (("train", tr), ("val", va), ("test", te)):
                if not os.path.exists(files[k]):
                    write_csv(d, rows, files[k] + ".tmp")
                    os.replace(files[k] + ".tmp", files[k])
            runs = []
            if "ming" in models:
                runs.append(("ming", lambda: run_ming(ming, files, d, [], args.threads)))
            for name, flags in cands:
                runs.append((name, lambda flags=flags: run_ming(ming, files, d, flags, args.threads)))
            enc = None
            for m in models:
                if m == "ming":
                    continue
                if enc is None:
                    enc = encode(d, tr, [va, te])
                Xtr, Xva, Xte = enc
                runs.append((m, lambda m=m: BASELINES[m](d, Xtr, Xva, Xte, d["y"][tr], d["y"][va],
                                                         d["y"][te], seed, CPUS)))
            for name, fn in runs:
                r = fn()
                r.update(dataset=ds, model=name, seed=seed, task=d["task"])
                records.append(r)
                if "error" in r:
                    print(f"{ds} seed {seed} {name}: ERROR {r['error']}", file=sys.stderr, flush=True)
                else:
                    score = (f"rmse {r['rmse']:.4g} r2 {r['r2']:.4f}" if d["task"] == "regression"
                             else f"acc {100 * r['accuracy']:.2f}%")
                    print(f"{ds} seed {seed} {name}: {score} {r['seconds']:.1f}s epochs {r.get('epochs')}",
                          file=sys.stderr, flush=True)
            if args.json:
                with open(args.json, "w") as f:
                    json.dump(records, f, indent=1)

    all_models = []
    for r in records:
        if r["model"] not in all_models:
            all_models.append(r["model"])
    all_ds = [ds for ds in list(DATASETS) + list(EXTRA_DATASETS) if any(r["dataset"] == ds for r in records)]
    md = report(records, all_models, all_ds)
    print(md)
    if args.md:
        with open(args.md, "w") as f:
            f.write(md + "\n")
    errors = [r for r in records if "error" in r]
    if errors:
        print(f"{len(errors)} run(s) failed:", file=sys.stderr)
        for r in errors:
            print(f"  {r['dataset']} seed {r['seed']} {r['model']}: {r['error']}", file=sys.stderr)


if __name__ == "__main__":
    main()
