// einsum and tensordot: contractions written as one batched matrix product
// per pair of operands (Backend::matmul through bmm), with views, diagonals
// and sums around it; the gradients are those ops'.
//
// Note [einsum as pairwise bmm]
// Each operand first loses what concerns it alone: a label repeated within it
// becomes a diagonal, and a label no other operand and not the output uses is
// summed out. The operands are then folded left to right. For the running
// result A and the next operand B, every label is one of
//   batch:       in both, still needed (by the output or a later operand);
//   contracted:  in both, needed by no one after this product;
//   left/right:  in A only / in B only.
// A is permuted to [batch, left, contracted] and B to [batch, contracted,
// right], each group flattened to one dim (size-1 dims broadcast by expand),
// and bmm gives [batch, left, right]. The last step sums the labels the output
// lacks and permutes to the output's order. Without "->", the output is the
// ellipsis dims followed by the labels used once, in alphabetical order.
#include <algorithm>
#include <string>
#include <vector>

#include "ops/creation.h"
#include "ops/linalg.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

namespace {

// A label: a letter (0..51) or an ellipsis dim (52 + position from the left of the broadcast ellipsis).
using Label = int;
constexpr Label kEllipsisBase = 52;

Label letter(char c, std::string_view equation) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  WICK_THROW(ValueError, "einsum(): invalid subscript given at '", std::string(1, c), "' in the equation string \"",
             equation, "\", subscripts must be in [a-zA-Z]");
}

struct Term {
  std::vector<Label> letters_before, letters_after;  // around the ellipsis (all in `before` without one)
  bool ellipsis = false;
};

Term parse_term(std::string_view s, std::string_view equation) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      WICK_CHECK(s.substr(i, 3) == "..." && !t.ellipsis, ValueError,
                 "einsum(): found '.' for operand that is not part of any ellipsis, or more than one ellipsis in a "
                 "term, in \"", equation, "\"");
      t.ellipsis = true;
      i += 2;
      continue;
    }
    (t.ellipsis ? t.letters_after : t.letters_before).push_back(letter(s[i], equation));
  }
  return t;
}

// The labels of a term for an operand of `ndim` dims, with `ell` ellipsis dims out of `max_ell`.
std::vector<Label> expand_term(const Term& t, int64_t ndim, int64_t max_ell) {
  std::vector<Label> labels = t.letters_before;
  const int64_t ell = ndim - static_cast<int64_t>(t.letters_before.size() + t.letters_after.size());
  for (int64_t i = 0; i < ell; ++i) labels.push_back(kEllipsisBase + static_cast<Label>(max_ell - ell + i));
  labels.insert(labels.end(), t.letters_after.begin(), t.letters_after.end());
  return labels;
}

struct Operand {
  Tensor t;
  std::vector<Label> labels;  // one per dim of t
};

int64_t position(const std::vector<Label>& labels, Label l) {
  return std::find(labels.begin(), labels.end(), l) - labels.begin();
}
bool has(const std::vector<Label>& labels, Label l) { return position(labels, l) < static_cast<int64_t>(labels.size()); }

// Repeated labels become diagonals (moved to the last dim).
void take_diagonals(Operand& op, std::string_view equation) {
  for (size_t i = 0; i < op.labels.size(); ++i) {
    for (size_t j = i + 1; j < op.labels.size(); ++j) {
      if (op.labels[i] != op.labels[j]) continue;
      WICK_CHECK(op.t.size(static_cast<int64_t>(i)) == op.t.size(static_cast<int64_t>(j)), ValueError,
                 "einsum(): subscript repeated in an operand of \"", equation, "\" for dims of sizes ",
                 op.t.size(static_cast<int64_t>(i)), " and ", op.t.size(static_cast<int64_t>(j)));
      const Label l = op.labels[i];
      op.t = diagonal(op.t, 0, static_cast<int64_t>(i), static_cast<int64_t>(j));
      op.labels.erase(op.labels.begin() + static_cast<std::ptrdiff_t>(j));
      op.labels.erase(op.labels.begin() + static_cast<std::ptrdiff_t>(i));
      op.labels.push_back(l);
      take_diagonals(op, equation);
      return;
    }
  }
}

// Sums out the labels `keep` rejects.
template <typename Keep>
void sum_out(Operand& op, const Keep& keep) {
  std::vector<int64_t> dims;
  std::vector<Label> kept;
  for (size_t i = 0; i < op.labels.size(); ++i) {
    if (keep(op.labels[i])) kept.push_back(op.labels[i]);
    else dims.push_back(static_cast<int64_t>(i));
  }
  if (dims.empty()) return;
  op.t = sum(op.t, dims, false);
  op.labels = kept;
}

// op's dims in the order of `labels` (each present), flattened to one dim per group of `groups`
// (sizes broadcast to `sizes`, a label's size across both operands).
Tensor grouped(const Operand& op, const std::vector<std::vector<Label>>& groups, const std::vector<int64_t>& sizes) {
  std::vector<int64_t> perm, expanded, flat;
  for (const auto& g : groups) {
    int64_t n = 1;
    for (Label l : g) {
      perm.push_back(position(op.labels, l));
      expanded.push_back(sizes[static_cast<size_t>(l)]);
      n *= sizes[static_cast<size_t>(l)];
    }
    flat.push_back(n);
  }
  return reshape(expand(permute(op.t, perm), expanded), flat);
}

Operand contract(const Operand& a, const Operand& b, const std::vector<bool>& needed, std::vector<int64_t>& sizes) {
  std::vector<Label> batch, left, contracted, right;
  for (Label l : a.labels) {
    if (!has(b.labels, l)) left.push_back(l);
    else if (needed[static_cast<size_t>(l)]) batch.push_back(l);
    else contracted.push_back(l);
  }
  for (Label l : b.labels)
    if (!has(a.labels, l)) right.push_back(l);
  const Tensor ga = grouped(a, {batch, left, contracted}, sizes);
  const Tensor gb = grouped(b, {batch, contracted, right}, sizes);
  Operand out;
  std::vector<int64_t> shape;
  for (const auto* g : {&batch, &left, &right})
    for (Label l : *g) {
      out.labels.push_back(l);
      shape.push_back(sizes[static_cast<size_t>(l)]);
    }
  out.t = reshape(bmm(ga, gb), shape);
  return out;
}

}  // namespace

Tensor einsum(std::string_view equation_in, const TensorList& operands) {
  std::string equation;
  for (char c : equation_in)
    if (c != ' ') equation += c;
  WICK_CHECK(!operands.empty(), ValueError, "einsum(): must provide at least one operand");
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  std::vector<Term> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(parse_term(std::string_view(lhs).substr(start, comma - start), equation));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  WICK_CHECK(terms.size() == operands.size(), ValueError, "einsum(): more operands were provided than specified in ",
             "the equation \"", equation, "\": ", terms.size(), " term(s) for ", operands.size(), " operand(s)");
  int64_t max_ell = 0;
  for (size_t i = 0; i < operands.size(); ++i) {
    WICK_CHECK(operands[i].defined(), ValueError, "einsum(): operand ", i, " is undefined");
    WICK_CHECK(operands[i].device() == operands[0].device(), ValueError, "einsum(): expected all operands on ",
               operands[0].device(), ", got operand ", i, " on ", operands[i].device());
    const int64_t letters = static_cast<int64_t>(terms[i].letters_before.size() + terms[i].letters_after.size());
    const int64_t nd = operands[i].dim();
    WICK_CHECK(terms[i].ellipsis ? nd >= letters : nd == letters, ValueError, "einsum(): the number of subscripts in ",
               "the equation (", letters, ") does not match the number of dimensions (", nd, ") for operand ", i,
               terms[i].ellipsis ? " even with the ellipsis" : " and no ellipsis was given");
    if (terms[i].ellipsis) max_ell = std::max(max_ell, nd - letters);
  }
  // Each label's size across the operands (1 broadcasts against any size).
  std::vector<Operand> ops;
  std::vector<int64_t> sizes(static_cast<size_t>(kEllipsisBase + max_ell), 1);
  std::vector<int> uses(sizes.size(), 0);
  for (size_t i = 0; i < operands.size(); ++i) {
    Operand op{operands[i], expand_term(terms[i], operands[i].dim(), max_ell)};
    for (size_t d = 0; d < op.labels.size(); ++d) {
      const Label l = op.labels[d];
      const int64_t n = op.t.size(static_cast<int64_t>(d));
      const int64_t first = position(op.labels, l);  // a label repeated within the operand: equal sizes
      WICK_CHECK(first == static_cast<int64_t>(d) || op.t.size(first) == n, ValueError,
                 "einsum(): subscript repeated in operand ", i, " of \"", equation, "\" for dims of sizes ",
                 op.t.size(first), " and ", n);
      int64_t& s = sizes[static_cast<size_t>(l)];
      WICK_CHECK(s == 1 || n == 1 || s == n, ValueError, "einsum(): operands do not broadcast with remapped shapes ",
                 "(original->remapped): subscript of size ", n, " in operand ", i, " against size ", s,
                 " elsewhere, in \"", equation, "\"");
      if (n != 1) s = n;
    }
    std::vector<Label> distinct = op.labels;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (Label l : distinct) ++uses[static_cast<size_t>(l)];
    ops.push_back(std::move(op));
  }
  // The output's labels: given after "->", or the ellipsis then the letters used once, alphabetically.
  std::vector<Label> output;
  if (arrow != std::string::npos) {
    const Term out = parse_term(std::string_view(equation).substr(arrow + 2), equation);
    WICK_CHECK(!out.ellipsis || std::any_of(terms.begin(), terms.end(), [](const Term& t) { return t.ellipsis; }),
               ValueError, "einsum(): ellipsis in the output but not in any input of \"", equation, "\"");
    output = expand_term(out, static_cast<int64_t>(out.letters_before.size() + out.letters_after.size()) +
                                  (out.ellipsis ? max_ell : 0), max_ell);
    for (size_t i = 0; i < output.size(); ++i) {
      WICK_CHECK(output[i] >= kEllipsisBase || uses[static_cast<size_t>(output[i])] > 0, ValueError,
                 "einsum(): an output subscript of \"", equation, "\" does not appear in the equation for any input "
                 "operand");
      WICK_CHECK(std::count(output.begin(), output.end(), output[i]) == 1, ValueError,
                 "einsum(): output subscript appears more than once in the output of \"", equation, "\"");
    }
  } else {
    for (int64_t i = 0; i < max_ell; ++i) output.push_back(kEllipsisBase + static_cast<Label>(i));
    for (Label l = 0; l < kEllipsisBase; ++l) {
      int total = 0;  // occurrences in the equation, repeats within a term included
      for (const Term& t : terms)
        total += static_cast<int>(std::count(t.letters_before.begin(), t.letters_before.end(), l) +
                                  std::count(t.letters_after.begin(), t.letters_after.end(), l));
      if (total == 1) output.push_back(l);
    }
  }
  std::vector<bool> in_output(sizes.size(), false);
  for (Label l : output) in_output[static_cast<size_t>(l)] = true;

  // Diagonals, then the labels only one operand has and the output lacks.
  for (Operand& op : ops) {
    take_diagonals(op, equation);
    sum_out(op, [&](Label l) { return in_output[static_cast<size_t>(l)] || uses[static_cast<size_t>(l)] > 1; });
  }
  Operand acc = ops[0];
  for (size_t i = 1; i < ops.size(); ++i) {
    // Needed after this product: by the output or an operand still to come.
    std::vector<bool> needed = in_output;
    for (size_t j = i + 1; j < ops.size(); ++j)
      for (Label l : ops[j].labels) needed[static_cast<size_t>(l)] = true;
    sum_out(acc, [&](Label l) { return needed[static_cast<size_t>(l)] || has(ops[i].labels, l); });
    acc = contract(acc, ops[i], needed, sizes);
  }
  sum_out(acc, [&](Label l) { return in_output[static_cast<size_t>(l)]; });
  std::vector<int64_t> perm;
  for (Label l : output) perm.push_back(position(acc.labels, l));
  return permute(acc.t, perm);
}

Tensor tensordot(const Tensor& a, const Tensor& b, IntArrayRef dims_a, IntArrayRef dims_b) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, "tensordot: undefined tensor argument");
  WICK_CHECK(dims_a.size() == dims_b.size(), ValueError, "tensordot: both dimension lists should have same length, got ",
             dims_a.size(), " and ", dims_b.size());
  const DimVector da = wrap_dims(dims_a, std::max<int64_t>(a.dim(), 1), "tensordot");
  const DimVector db = wrap_dims(dims_b, std::max<int64_t>(b.dim(), 1), "tensordot");
  // a as [free, contracted] and b as [contracted, free]: one mm.
  std::vector<int64_t> perm_a, perm_b, out_shape;
  int64_t free_a = 1, free_b = 1, inner = 1;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (std::find(da.begin(), da.end(), d) == da.end()) {
      perm_a.push_back(d);
      out_shape.push_back(a.size(d));
      free_a *= a.size(d);
    }
  for (size_t i = 0; i < da.size(); ++i) {
    WICK_CHECK(a.size(da[i]) == b.size(db[i]), ValueError, "tensordot: contracted dimensions need to match, but first ",
               "has size ", a.size(da[i]), " in dim ", da[i], " and second has size ", b.size(db[i]), " in dim ", db[i]);
    perm_a.push_back(da[i]);
    perm_b.push_back(db[i]);
    inner *= a.size(da[i]);
  }
  for (int64_t d = 0; d < b.dim(); ++d)
    if (std::find(db.begin(), db.end(), d) == db.end()) {
      perm_b.push_back(d);
      out_shape.push_back(b.size(d));
      free_b *= b.size(d);
    }
  const Tensor ma = reshape(permute(a, perm_a), {free_a, inner});
  const Tensor mb = reshape(permute(b, perm_b), {inner, free_b});
  return reshape(mm(ma, mb), out_shape);
}

Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, "tensordot: undefined tensor argument");
  WICK_CHECK(dims >= 0 && dims <= a.dim() && dims <= b.dim(), ValueError, "tensordot: dims (", dims,
             ") must be between 0 and the number of dims of both inputs (", a.dim(), " and ", b.dim(), ")");
  std::vector<int64_t> da, db;
  for (int64_t i = 0; i < dims; ++i) {
    da.push_back(a.dim() - dims + i);
    db.push_back(i);
  }
  return tensordot(a, b, da, db);
}

}  // namespace wick
