// Namespaces nearly every file uses. The project's layers are imported here too, so a file's using lines no longer
// show its dependencies; they must still run one way (no cycles): Dispatch -> the features -> Driver -> Virsh ->
// Kvmrc, Xml -> Host -> Errors, Logging. Only Dispatch and the features use Driver and its action parameters.
global using System.Globalization;
global using System.Text;
global using System.Text.Json;
global using System.Xml.Linq;
global using Microsoft.Extensions.Logging;
global using OneKvm.Remotes.Errors;
global using OneKvm.Remotes.Logging;
global using OneKvm.Remotes.Driver;
global using static OneKvm.Remotes.Driver.ActionParameter;
global using OneKvm.Remotes.Host;
global using OneKvm.Remotes.Kvmrc;
global using OneKvm.Remotes.Virsh;
global using OneKvm.Remotes.Xml;
