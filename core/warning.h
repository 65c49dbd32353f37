// Warnings: things a user should know that are not errors (a setting that
// makes wick slow, say). The default handler prints each to stderr as
// "wick: warning: ..."; the Python package installs one that raises a Python
// UserWarning instead, so `warnings` filters apply.
#pragma once

#include <functional>
#include <string>

namespace wick {

using WarningHandler = std::function<void(const std::string& message)>;

// Hands `message` to the current handler. Callable from any thread.
void warn(const std::string& message);

// Replaces the handler (nullptr restores the default) and returns the old one.
WarningHandler set_warning_handler(WarningHandler handler);

}  // namespace wick
