// Fitting the rule of thumb and writing it the way Ming would read it.
#include "explain/rule.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <unordered_map>
#include <vector>

#include "runtime/model_impl.h"

namespace ming {

bool SolveSpd(double* A, double* b, int n, double ridge) {
  for (int i = 0; i < n; ++i) A[i * n + i] += ridge;
  for (int j = 0; j < n; ++j) {
    double d = A[j * n + j];
    for (int k = 0; k < j; ++k) d -= A[j * n + k] * A[j * n + k];
    if (!(d > 0)) return false;
    A[j * n + j] = std::sqrt(d);
    for (int i = j + 1; i < n; ++i) {
      double s = A[i * n + j];
      for (int k = 0; k < j; ++k) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / A[j * n + j];
    }
  }
  for (int i = 0; i < n; ++i) {  // L y = b
    for (int k = 0; k < i; ++k) b[i] -= A[i * n + k] * b[k];
    b[i] /= A[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {  // L^T w = y
    for (int k = i + 1; k < n; ++k) b[i] -= A[k * n + i] * b[k];
    b[i] /= A[i * n + i];
  }
  return true;
}

namespace {

constexpr double kRidge = 1.0;  // on standardised columns: mild next to thousands of rows

// Weighted least squares step: w += (X^T D X + ridge)^-1 X^T r over rows[], with a bias as
// column W. D = dw (per row), r = residual (per row).
bool NewtonStep(const float* X, int W, const std::vector<int64_t>& rows,
                const std::vector<double>& dw, const std::vector<double>& r,
                std::vector<double>* w) {
  const int n = W + 1;
  std::vector<double> A(static_cast<size_t>(n) * n, 0.0), g(static_cast<size_t>(n), 0.0),
      x(static_cast<size_t>(n));
  for (size_t k = 0; k < rows.size(); ++k) {
    const float* xi = X + rows[k] * W;
    for (int j = 0; j < W; ++j) x[static_cast<size_t>(j)] = xi[j];
    x[static_cast<size_t>(W)] = 1;
    for (int a = 0; a < n; ++a) {
      g[static_cast<size_t>(a)] += r[k] * x[static_cast<size_t>(a)];
      const double da = dw[k] * x[static_cast<size_t>(a)];
      if (da == 0) continue;
      for (int b = 0; b <= a; ++b)
        A[static_cast<size_t>(a) * n + b] += da * x[static_cast<size_t>(b)];
    }
  }
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < a; ++b)
      A[static_cast<size_t>(b) * n + a] = A[static_cast<size_t>(a) * n + b];
    if (a < W)
      g[static_cast<size_t>(a)] -= kRidge * (*w)[static_cast<size_t>(a)];  // ridge gradient
  }
  if (!SolveSpd(A.data(), g.data(), n, kRidge)) return false;
  for (int a = 0; a < n; ++a) (*w)[static_cast<size_t>(a)] += g[static_cast<size_t>(a)];
  return true;
}

double Dot(const float* x, const std::vector<double>& w, int W) {
  double s = w[static_cast<size_t>(W)];
  for (int j = 0; j < W; ++j) s += x[j] * w[static_cast<size_t>(j)];
  return s;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// Terms in raw units; folds the constant parts into *constant. spread[j]: std of column j.
// An embedded field's terms are its categories too: category k weighs w . table row k, and
// its influence is |weight| * sqrt(p (1 - p)) as for a one-hot column, with p the share of
// fit rows whose embedded columns are that row (found by their exact score w . x).
std::vector<RuleTerm> RawTerms(const Preprocessor& pre, const std::vector<double>& w,
                               const std::vector<double>& spread, const float* X, int W,
                               const std::vector<int64_t>& fit, double* constant,
                               std::vector<double>* influence) {
  std::vector<RuleTerm> terms;
  auto add = [&](std::string text, double weight, double infl) {
    terms.push_back({std::move(text), weight});
    influence->push_back(infl);
  };
  for (const FieldEncoding& f : pre.fields()) {
    const size_t o = static_cast<size_t>(f.offset);
    if (f.type != FieldType::kCategorical) {
      add(f.name, w[o] / f.std, std::fabs(w[o]) * spread[o]);
      *constant -= w[o] * f.mean / f.std;
      if (f.has_missing) add(f.name + " missing", w[o + 1], std::fabs(w[o + 1]) * spread[o + 1]);
      continue;
    }
    const size_t n = f.categories.size();
    auto text = [&](size_t s) {
      return s < n ? f.name + " = " + f.categories[s] : s == n ? f.name + " other" : f.name + " missing";
    };
    if (f.embed_dim > 0) {
      auto score = [&](const float* x) {
        double v = 0;
        for (int j = 0; j < f.embed_dim; ++j) v += w[o + static_cast<size_t>(j)] * x[j];
        return v;
      };
      std::unordered_map<double, int64_t> rows_with;
      for (int64_t i : fit) ++rows_with[score(X + i * W + f.offset)];
      const size_t slots = static_cast<size_t>(f.slots());
      const double ref = score(f.table.data());
      *constant += ref;
      for (size_t s = 1; s < slots; ++s) {
        const double sk = score(&f.table[s * static_cast<size_t>(f.embed_dim)]), v = sk - ref;
        const auto it = rows_with.find(sk);
        const double p = it == rows_with.end() ? 0.0 : static_cast<double>(it->second) / static_cast<double>(fit.size());
        add(text(s), v, std::fabs(v) * std::sqrt(p * (1 - p)));
      }
      continue;
    }
    const double ref = w[o];  // the most frequent category is the reference
    *constant += ref;
    for (size_t s = 1; s < static_cast<size_t>(f.width); ++s) {
      add(text(s), w[o + s] - ref, std::fabs(w[o + s] - ref) * spread[o + s]);
    }
  }
  return terms;
}

}  // namespace

RuleOfThumb FitRuleOfThumb(const ModelData& m, const float* X, const float* out, int64_t N,
                           uint64_t seed) {
  RuleOfThumb rule;
  const Task task = m.pre.label().task;
  if (task == Task::kMulticlass) {
    rule.note = "a rule of thumb is a single weighted sum: binary and regression models only";
    return rule;
  }
  const int W = m.net.inputs;
  std::vector<int64_t> fit, check;
  for (int64_t i = 0; i < N; ++i)
    ((static_cast<uint64_t>(i) * 7919 + seed) % 10 < 7 ? fit : check).push_back(i);
  if (fit.size() < 10 || check.empty()) {
    rule.note = "too few rows to fit and check a rule of thumb";
    return rule;
  }
  const bool bin = task == Task::kBinary;
  // Network targets: P(positive) (uncalibrated: the rule mimics the network's log-odds) or value.
  std::vector<double> target(static_cast<size_t>(N)), netdec(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) {
    const double z = out[i * m.net.outputs];
    target[static_cast<size_t>(i)] = bin ? 1 / (1 + std::exp(-z)) : z;
    float probs[2];
    double v;
    int cls = 0;
    OutputsToPrediction(m, out + i * m.net.outputs, probs, &v, &cls);
    netdec[static_cast<size_t>(i)] = cls;
  }
  std::vector<double> w(static_cast<size_t>(W) + 1, 0.0), dw(fit.size()), r(fit.size());
  for (int it = 0; it < (bin ? 25 : 5); ++it) {
    for (size_t k = 0; k < fit.size(); ++k) {
      const double s = Dot(X + fit[k] * W, w, W), t = target[static_cast<size_t>(fit[k])];
      const double p = bin ? 1 / (1 + std::exp(-s)) : s;
      dw[k] = bin ? std::max(p * (1 - p), 1e-12) : 1.0;
      r[k] = t - p;
    }
    if (!NewtonStep(X, W, fit, dw, r, &w)) {
      rule.note = "the rule of thumb's fit is singular";
      return rule;
    }
  }
  // Threshold (binary, on the linear score) that agrees most with the network on fit rows.
  std::vector<std::pair<double, double>> sd;
  for (int64_t i : fit) sd.push_back({Dot(X + i * W, w, W), netdec[static_cast<size_t>(i)]});
  std::sort(sd.begin(), sd.end());
  double t = sd.front().first - 1;
  if (bin) {
    int64_t agree = 0, best = 0;
    for (const auto& p : sd) agree += p.second == 1;  // threshold below every score
    best = agree;
    for (size_t k = 0; k < sd.size(); ++k) {
      agree += sd[k].second == 1 ? -1 : 1;
      if (agree > best && (k + 1 == sd.size() || sd[k + 1].first > sd[k].first)) {
        best = agree;
        t = k + 1 < sd.size() ? 0.5 * (sd[k].first + sd[k + 1].first) : sd[k].first + 1;
      }
    }
  }
  // Fidelity on the check rows.
  double agree = 0, ss_res = 0, ss_tot = 0, mean = 0;
  for (int64_t i : check)
    mean += target[static_cast<size_t>(i)] / static_cast<double>(check.size());
  for (int64_t i : check) {
    const double s = Dot(X + i * W, w, W), v = target[static_cast<size_t>(i)];
    agree += (s > t) == (netdec[static_cast<size_t>(i)] == 1);
    ss_res += (s - v) * (s - v), ss_tot += (v - mean) * (v - mean);
  }
  rule.fidelity =
      bin ? agree / static_cast<double>(check.size()) : (ss_tot > 0 ? 1 - ss_res / ss_tot : 0.0);
  // Readable form in raw units.
  std::vector<double> spread(static_cast<size_t>(W), 0.0), colmean(static_cast<size_t>(W), 0.0);
  for (int64_t i : fit)
    for (int j = 0; j < W; ++j)
      colmean[static_cast<size_t>(j)] += X[i * W + j] / static_cast<double>(fit.size());
  for (int64_t i : fit)
    for (int j = 0; j < W; ++j) {
      const double d = X[i * W + j] - colmean[static_cast<size_t>(j)];
      spread[static_cast<size_t>(j)] += d * d / static_cast<double>(fit.size());
    }
  for (double& s : spread) s = std::sqrt(s);
  double constant = w[static_cast<size_t>(W)];
  std::vector<double> influence;
  std::vector<RuleTerm> terms = RawTerms(m.pre, w, spread, X, W, fit, &constant, &influence);
  const double scale = m.pre.label().task == Task::kRegression ? m.pre.label().std : 1.0;
  std::vector<size_t> idx(terms.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(),
                   [&](size_t a, size_t b) { return influence[a] > influence[b]; });
  for (size_t k : idx) rule.terms.push_back({terms[k].text, terms[k].weight * scale});
  rule.threshold = t - constant;
  rule.intercept = constant * scale + (bin ? 0.0 : m.pre.label().mean);
  rule.fit_rows = static_cast<int64_t>(fit.size());
  rule.check_rows = static_cast<int64_t>(check.size());
  // Text: terms with at least 2% of the largest influence.
  const double cut = influence.empty() ? 0 : 0.02 * influence[idx[0]];
  std::string sum;
  size_t omitted = 0, shown = 0;
  constexpr size_t kMaxShown = 12;
  for (size_t k : idx) {
    if (influence[k] < cut || terms[k].weight == 0 || shown == kMaxShown) {
      ++omitted;
      continue;
    }
    ++shown;
    const double wv = terms[k].weight * scale;
    sum += sum.empty() ? (wv < 0 ? "-" : "") : (wv < 0 ? " - " : " + ");
    sum += Number(std::fabs(wv)) + "*[" + terms[k].text + "]";
  }
  const auto& label = m.pre.label();
  rule.text =
      bin ? label.name + " = " + label.classes[1] + " when " + sum + " > " + Number(rule.threshold)
          : label.name + " ~ " + Number(rule.intercept) +
                (sum.empty() || sum[0] == '-' ? " " : " + ") + sum;
  if (omitted > 0) rule.text += "  (" + std::to_string(omitted) + " smaller terms left out)";
  rule.available = true;
  return rule;
}

}  // namespace ming
