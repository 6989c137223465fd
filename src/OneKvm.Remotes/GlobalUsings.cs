// Namespaces nearly every file uses. Only the bottom layers of the project (Errors, Logging: they use no other
// namespace of it) are imported here, so that a file's own using lines still show which layers it depends on.
global using System.Globalization;
global using System.Text;
global using System.Text.Json;
global using System.Xml.Linq;
global using Microsoft.Extensions.Logging;
global using OneKvm.Remotes.Errors;
global using OneKvm.Remotes.Logging;
