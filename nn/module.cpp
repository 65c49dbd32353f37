#include "nn/module.h"

#include <cxxabi.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <typeinfo>

#include "autograd/grad_mode.h"
#include "ops/copy.h"

namespace wick::nn {

// ---- registration ------------------------------------------------------------------------------

void Module::check_new_name(const std::string& name, Member kind) const {
  static constexpr const char* kNames[] = {"parameter", "buffer", "module"};
  const char* what = kNames[static_cast<int>(kind)];
  WICK_CHECK(!name.empty(), ValueError, what, " name can't be empty string \"\"");
  WICK_CHECK(name.find('.') == std::string::npos, ValueError, what, " name can't contain \".\", got: ", name);
  // A name may be registered again as the same kind (replacing it), not as another.
  const bool taken = (kind != Member::Parameter && parameters_.contains(name)) ||
                     (kind != Member::Buffer && buffers_.contains(name)) ||
                     (kind != Member::Module && children_.contains(name));
  WICK_CHECK(!taken, ValueError, type_name(), ": attribute '", name, "' already exists");
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_new_name(name, Member::Parameter);
  if (tensor.defined()) {
    WICK_CHECK(tensor.is_leaf(), ValueError, "Cannot assign non-leaf Tensor to parameter '", name,
               "'. Model parameters must be created explicitly; to express '", name,
               "' as a function of another Tensor, compute the value in the forward() method.");
    tensor.requires_grad_(requires_grad);
  }
  return parameters_.insert(name, std::move(tensor));
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor, bool persistent) {
  check_new_name(name, Member::Buffer);
  if (persistent) non_persistent_.erase(name);
  else non_persistent_.insert(name);
  return buffers_.insert(name, std::move(tensor));
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, Member::Module);
  WICK_CHECK(module.get() != this, ValueError, type_name(), ": a module cannot be its own child ('", name, "')");
  children_.insert(name, std::move(module));
}

// ---- traversal ---------------------------------------------------------------------------------

void Module::visit(const std::string& prefix,
                   const std::function<void(const std::string&, const Module&)>& fn) const {
  fn(prefix, *this);
  for (const auto& [name, child] : children_) {
    if (child) child->visit(prefix.empty() ? name : prefix + "." + name, fn);
  }
}

namespace {

// The tensors of one kind (parameters or buffers) of `root`, each once.
OrderedDict<Tensor> collect(const Module& root, bool recurse,
                            const std::function<const OrderedDict<Tensor>&(const Module&)>& table) {
  OrderedDict<Tensor> out;
  std::unordered_set<const TensorImpl*> seen;
  auto add = [&](const std::string& prefix, const Module& m) {
    for (const auto& [name, t] : table(m)) {
      if (!t.defined() || !seen.insert(t.impl()).second) continue;
      out.insert(prefix.empty() ? name : prefix + "." + name, t);
    }
  };
  if (!recurse) {
    add("", root);
    return out;
  }
  // named_modules order: depth first, each module once.
  std::vector<std::pair<std::string, const Module*>> order;
  std::unordered_set<const Module*> seen_modules;
  std::function<void(const std::string&, const Module&)> walk = [&](const std::string& prefix, const Module& m) {
    if (!seen_modules.insert(&m).second) return;
    order.emplace_back(prefix, &m);
    for (const auto& [name, child] : m.named_children())
      if (child) walk(prefix.empty() ? name : prefix + "." + name, *child);
  };
  walk("", root);
  for (const auto& [prefix, m] : order) add(prefix, *m);
  return out;
}

}  // namespace

OrderedDict<Tensor> Module::named_parameters(bool recurse) const {
  return collect(*this, recurse, [](const Module& m) -> const OrderedDict<Tensor>& { return m.parameters_; });
}

std::vector<Tensor> Module::parameters(bool recurse) const { return named_parameters(recurse).values(); }

OrderedDict<Tensor> Module::named_buffers(bool recurse) const {
  return collect(*this, recurse, [](const Module& m) -> const OrderedDict<Tensor>& { return m.buffers_; });
}

std::vector<Tensor> Module::buffers(bool recurse) const { return named_buffers(recurse).values(); }

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  std::unordered_set<const Module*> seen;
  for (const auto& [name, child] : children_)
    if (child && seen.insert(child.get()).second) out.push_back(child);
  return out;
}

OrderedDict<std::shared_ptr<Module>> Module::named_modules(const std::string& prefix) {
  std::shared_ptr<Module> self = weak_from_this().lock();
  WICK_CHECK(self, Error, type_name(),
             ": modules() and named_modules() need the module to be owned by a std::shared_ptr; create it with "
             "std::make_shared<", type_name(), ">(...)");
  OrderedDict<std::shared_ptr<Module>> out;
  std::unordered_set<const Module*> seen;
  std::function<void(const std::string&, const std::shared_ptr<Module>&)> walk =
      [&](const std::string& path, const std::shared_ptr<Module>& m) {
        if (!seen.insert(m.get()).second) return;
        out.insert(path, m);
        for (const auto& [name, child] : m->children_)
          if (child) walk(path.empty() ? name : path + "." + name, child);
      };
  walk(prefix, self);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::modules() { return named_modules().values(); }

// ---- mode and state ----------------------------------------------------------------------------

void Module::train(bool on) {
  training_ = on;
  for (const auto& [name, child] : children_)
    if (child) child->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (const Tensor& p : parameters()) {
    const Tensor& g = p.grad();
    if (!g.defined()) continue;
    if (set_to_none) {
      p.set_grad(Tensor());
    } else {
      if (g.grad_fn()) g.detach_();
      else g.requires_grad_(false);
      g.zero_();
    }
  }
}

void Module::convert(std::optional<Device> device, std::optional<ScalarType> dtype) {
  WICK_CHECK(!dtype || is_floating_point(*dtype), TypeError,
             "nn.Module.to only accepts floating point dtypes, but got desired dtype=", *dtype);
  NoGradGuard no_grad;
  // Each tensor keeps its TensorImpl and takes the converted data
  // (TensorImpl::set_data), so every handle to it sees the change.
  auto move = [&](const Tensor& t) {
    const ScalarType target = dtype && t.is_floating_point() ? *dtype : t.dtype();
    const Device where = device.value_or(t.device());
    Tensor moved = wick::to(t, where, target);
    if (!moved.is_same(t)) t.impl()->set_data(*moved.impl());
    const Tensor& g = t.grad();
    if (g.defined()) {
      Tensor moved_grad = wick::to(g, where, target);
      if (!moved_grad.is_same(g)) t.set_grad(moved_grad);
    }
  };
  for (const Tensor& t : parameters()) move(t);
  for (const Tensor& t : buffers()) move(t);
}

void Module::to(Device device) { convert(device, std::nullopt); }
void Module::to(ScalarType dtype) { convert(std::nullopt, dtype); }
void Module::to(Device device, ScalarType dtype) { convert(device, dtype); }

void Module::apply(const std::function<void(Module&)>& fn) {
  for (const auto& child : children()) child->apply(fn);
  fn(*this);
}

StateDict Module::state_dict() const {
  StateDict out;
  visit("", [&](const std::string& prefix, const Module& m) {
    const std::string p = prefix.empty() ? "" : prefix + ".";
    for (const auto& [name, t] : m.parameters_)
      if (t.defined()) out.insert(p + name, t.detach());
    for (const auto& [name, t] : m.buffers_)
      if (t.defined() && !m.non_persistent_.count(name)) out.insert(p + name, t.detach());
  });
  return out;
}

namespace {

std::string torch_size(IntArrayRef sizes) {
  std::ostringstream os;
  os << "torch.Size([";
  for (size_t i = 0; i < sizes.size(); ++i) os << (i ? ", " : "") << sizes[i];
  os << "])";
  return os.str();
}

std::string quoted_list(const std::vector<std::string>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? ", \"" : "\"") + keys[i] + "\"";
  return out;
}

}  // namespace

LoadStateDictResult Module::load_state_dict(const StateDict& state, bool strict) {
  LoadStateDictResult result;
  std::vector<std::string> errors;
  std::unordered_set<std::string> expected;
  NoGradGuard no_grad;
  visit("", [&](const std::string& prefix, const Module& m) {
    const std::string p = prefix.empty() ? "" : prefix + ".";
    auto load = [&](const std::string& name, const Tensor& t) {
      const std::string key = p + name;
      expected.insert(key);
      const Tensor* src = state.find(key);
      if (!src) {
        result.missing_keys.push_back(key);
        return;
      }
      if (!src->defined()) {
        errors.push_back("While copying the parameter named \"" + key +
                         "\", expected a defined Tensor from checkpoint but received an undefined one.");
        return;
      }
      if (src->sizes() != t.sizes()) {
        errors.push_back("size mismatch for " + key + ": copying a param with shape " + torch_size(src->sizes()) +
                         " from checkpoint, the shape in current model is " + torch_size(t.sizes()) + ".");
        return;
      }
      t.copy_(*src);
    };
    for (const auto& [name, t] : m.parameters_)
      if (t.defined()) load(name, t);
    for (const auto& [name, t] : m.buffers_)
      if (t.defined() && !m.non_persistent_.count(name)) load(name, t);
  });
  for (const auto& [key, t] : state)
    if (!expected.count(key)) result.unexpected_keys.push_back(key);

  if (strict) {
    std::vector<std::string> key_errors;
    if (!result.missing_keys.empty())
      key_errors.push_back("Missing key(s) in state_dict: " + quoted_list(result.missing_keys) + ". ");
    if (!result.unexpected_keys.empty())
      key_errors.push_back("Unexpected key(s) in state_dict: " + quoted_list(result.unexpected_keys) + ". ");
    errors.insert(errors.begin(), key_errors.begin(), key_errors.end());
  }
  if (!errors.empty()) {
    std::string message = "Error(s) in loading state_dict for " + type_name() + ":";
    for (const auto& e : errors) message += "\n\t" + e;
    WICK_THROW(Error, message);
  }
  return result;
}

// ---- printing ----------------------------------------------------------------------------------

std::string Module::type_name() const {
  const char* mangled = typeid(*this).name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  // Drop the namespaces, as Python prints a class's __name__.
  const size_t template_start = name.find('<');
  const size_t last_scope = name.rfind("::", template_start);
  if (last_scope != std::string::npos) name = name.substr(last_scope + 2);
  return name;
}

namespace {

// Indents every line but the first.
std::string indent_tail(const std::string& s, int spaces) {
  std::string out;
  const std::string pad(static_cast<size_t>(spaces), ' ');
  for (char c : s) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    const size_t end = s.find('\n', start);
    lines.push_back(s.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

}  // namespace

std::string Module::str() const {
  const std::string extra = extra_repr();
  std::vector<std::string> extra_lines;
  if (!extra.empty()) extra_lines = split_lines(extra);
  std::vector<std::string> child_lines;
  for (const auto& [name, child] : children_)
    child_lines.push_back("(" + name + "): " + indent_tail(child ? child->str() : "None", 2));
  std::string out = type_name() + "(";
  if (extra_lines.size() == 1 && child_lines.empty()) {
    out += extra_lines[0];
  } else if (!extra_lines.empty() || !child_lines.empty()) {
    out += "\n";
    for (const auto* lines : {&extra_lines, &child_lines})
      for (const auto& line : *lines) out += "  " + line + "\n";
  }
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.str(); }

std::string repr_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // The shortest digits that round-trip, placed the way Python's repr does:
  // positional for exponents in [-4, 16), scientific otherwise.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string sci(buf, res.ptr);
  const size_t e = sci.find('e');
  const int exponent = std::stoi(sci.substr(e + 1));
  std::string mantissa = sci.substr(0, e);
  const bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits += c;
  std::string out;
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    } else {
      const size_t int_len = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= int_len) out = digits + std::string(int_len - digits.size(), '0') + ".0";
      else out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  } else {
    out = mantissa + "e" + (exponent < 0 ? "-" : "+") + (std::abs(exponent) < 10 ? "0" : "") +
          std::to_string(std::abs(exponent));
  }
  return negative ? "-" + out : out;
}

std::string repr_bool(bool v) { return v ? "True" : "False"; }

std::string repr_tuple(IntArrayRef v) {
  std::string out = "(";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out + (v.size() == 1 ? ",)" : ")");
}

}  // namespace wick::nn
