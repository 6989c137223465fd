// Namespaces nearly every file uses: the bottom layers of the project (Errors, Logging: they use no other namespace
// of it), and Driver with its action parameters, which every action and feature helper works with (only Dispatch and
// the features may use Driver: Host, Virsh, Xml, Kvmrc and the bottom layers never do).
global using System.Globalization;
global using System.Text;
global using System.Text.Json;
global using System.Xml.Linq;
global using Microsoft.Extensions.Logging;
global using OneKvm.Remotes.Errors;
global using OneKvm.Remotes.Logging;
global using OneKvm.Remotes.Driver;
global using static OneKvm.Remotes.Driver.ActionParameter;
