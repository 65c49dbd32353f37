#include "autograd/graph_dot.h"

#include <cstdio>
#include <sstream>
#include <unordered_map>

#include "autograd/node.h"

namespace wick {

namespace {

// A DOT string literal's contents: quotes and backslashes escaped, newlines
// as DOT's \n, other control characters dropped.
std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out.push_back(c);
    }
  }
  return out;
}

std::string shape_str(IntArrayRef sizes) {
  std::string s = "(";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + ")";
}

std::string bytes_str(size_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %s", v, units[u]);
  return buf;
}

class DotWriter {
 public:
  explicit DotWriter(const std::vector<std::pair<std::string, Tensor>>& params) {
    for (const auto& [name, t] : params)
      if (t.defined()) names_.emplace(t.impl(), name);
  }

  std::string write(const TensorList& roots) {
    out_ << "digraph autograd {\n"
         << "  graph [rankdir=TB, fontname=\"Helvetica\"];\n"
         << "  node [shape=box, style=filled, fontname=\"Helvetica\", fontsize=10, height=0.2, fillcolor=lightgrey];\n"
         << "  edge [arrowsize=0.7];\n";
    for (size_t i = 0; i < roots.size(); ++i) {
      const Tensor& root = roots[i];
      WICK_CHECK(root.defined(), ValueError, "to_dot: output ", i, " is an undefined tensor");
      std::string out_id = std::to_string(i);
      out_id.insert(0, "out");
      if (!root.grad_fn() && root.requires_grad()) {
        out_ << "  " << out_id << " [label=\"" << escape(leaf_label(root)) << "\", fillcolor=lightblue];\n";
        continue;
      }
      out_ << "  " << out_id << " [label=\"" << escape(shape_str(root.sizes())) << "\", fillcolor=darkolivegreen1];\n";
      if (const std::shared_ptr<Node>& fn = root.grad_fn()) {
        const std::string from = node_id(fn.get());  // may declare the node: not inside another line
        out_ << "  " << from << " -> " << out_id << ";\n";
      }
    }
    // Declare each node when first reached, then its edges (iterative: graphs can be long).
    while (!pending_.empty()) {
      const Node* node = pending_.back();
      pending_.pop_back();
      for (const Edge& e : node->next_edges()) {
        if (!e.is_valid()) continue;
        const std::string from = node_id(e.fn.get());
        out_ << "  " << from << " -> " << ids_.at(node) << ";\n";
      }
    }
    out_ << "}\n";
    return out_.str();
  }

 private:
  std::string leaf_label(const Tensor& t) const {
    auto it = names_.find(t.impl());
    const std::string& name = it != names_.end() ? it->second : t.name();
    return name.empty() ? shape_str(t.sizes()) : name + "\n" + shape_str(t.sizes());
  }

  // The node's DOT id, declaring the node (and queueing its edges) the first time.
  const std::string& node_id(const Node* node) {
    std::string id = std::to_string(ids_.size());
    id.insert(0, 1, 'n');
    auto [it, fresh] = ids_.try_emplace(node, std::move(id));
    if (!fresh) return it->second;
    if (const auto* acc = dynamic_cast<const AccumulateGrad*>(node)) {
      out_ << "  " << it->second << " [label=\"" << escape(leaf_label(acc->variable()))
           << "\", fillcolor=lightblue];\n";
    } else {
      const size_t saved = node->saved_bytes();
      out_ << "  " << it->second << " [label=\"" << escape(node->name()) << "\\nsaved " << bytes_str(saved)
           << "\", tooltip=\"" << escape(node->name()) << ": " << saved << " bytes saved for backward\"];\n";
    }
    pending_.push_back(node);
    return it->second;
  }

  std::ostringstream out_;
  std::unordered_map<const TensorImpl*, std::string> names_;
  std::unordered_map<const Node*, std::string> ids_;
  std::vector<const Node*> pending_;
};

}  // namespace

std::string to_dot(const TensorList& roots, const std::vector<std::pair<std::string, Tensor>>& params) {
  return DotWriter(params).write(roots);
}

std::string to_dot(const Tensor& root, const std::vector<std::pair<std::string, Tensor>>& params) {
  return to_dot(TensorList{root}, params);
}

}  // namespace wick
