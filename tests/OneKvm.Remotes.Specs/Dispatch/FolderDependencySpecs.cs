using System.Reflection;
using System.Reflection.Emit;
using Xunit;

namespace OneKvm.Remotes.Specs.Dispatch;

/// <summary>
/// The folders of src/ (one namespace each) depend on each other one way. The layers are imported by
/// global usings, so a file's using lines no longer show what it uses: this reads the compiled driver
/// instead. A folder uses another when one of its types (with the compiler's closures and state
/// machines) names a type of the other in its base, fields, signatures or method bodies.
/// </summary>
public sealed class FolderDependencySpecs
{
    private static readonly Assembly Driver = typeof(OneKvm.Remotes.Dispatch.Dispatcher).Assembly;

    private static readonly string[] Layers = ["Errors", "Logging", "Host", "Xml", "Kvmrc", "Virsh", "Libvirt", "Driver"];

    [Fact]
    public void No_two_folders_of_the_driver_use_each_other_directly_or_through_others()
    {
        var uses = Uses(Driver.GetTypes());

        var cycles = uses.Keys.Select(folder => PathBack(uses, folder)).OfType<string>().ToList();

        Assert.Contains("Monitoring", uses["Dispatch"]);
        Assert.Empty(cycles);
    }

    [Fact]
    public void The_lower_layers_use_no_feature_folder()
    {
        var uses = Uses(Driver.GetTypes());
        var features = uses.Keys.Except(Layers).Except(["(root)", "Dispatch"]).ToHashSet();

        var wrong = Layers.Where(uses.ContainsKey)
            .SelectMany(layer => uses[layer].Where(features.Contains).Select(feature => $"{layer} -> {feature}"))
            .ToList();

        Assert.Contains("Monitoring", features);
        Assert.Empty(wrong);
    }

    [Fact]
    public void A_use_hidden_in_a_method_body_is_seen()
    {
        // the reader itself: this spec class names a Monitoring type only inside a lambda's body
        var uses = Uses([typeof(FolderDependencySpecs), .. typeof(FolderDependencySpecs).GetNestedTypes(BindingFlags.NonPublic)]);

        Assert.Contains("Monitoring", uses["(outside)"]);
    }

    private static readonly Func<string> HiddenUse = () => nameof(OneKvm.Remotes.Monitoring.VmMonitorProbe) + typeof(OneKvm.Remotes.Monitoring.VmMonitorProbe).Name;

    private static string FolderOf(Type type)
    {
        var space = type.Namespace ?? "";
        if (space == "OneKvm.Remotes")
        {
            return "(root)";
        }
        return space.StartsWith("OneKvm.Remotes.", StringComparison.Ordinal) && type.Assembly == Driver
            ? space["OneKvm.Remotes.".Length..].Split('.')[0]
            : "(outside)";
    }

    private static Dictionary<string, HashSet<string>> Uses(IEnumerable<Type> types)
    {
        var uses = new Dictionary<string, HashSet<string>>();
        foreach (var type in types)
        {
            var outer = type;
            while (outer.DeclaringType is { } declaring)
            {
                outer = declaring;
            }
            var folder = FolderOf(outer);
            var used = uses.TryGetValue(folder, out var set) ? set : uses[folder] = [];
            foreach (var named in Named(type))
            {
                var target = FolderOf(named);
                if (target != folder && target != "(outside)")
                {
                    used.Add(target);
                }
            }
        }
        return uses;
    }

    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    /// <summary>The types <paramref name="type"/> names, with their generic arguments, element types and declaring types.</summary>
    private static IEnumerable<Type> Named(Type type)
    {
        var direct = new List<Type?> { type.BaseType };
        direct.AddRange(type.GetInterfaces());
        direct.AddRange(type.GetFields(Declared).Select(f => f.FieldType));
        direct.AddRange(type.GetProperties(Declared).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            direct.AddRange(method.GetParameters().Select(p => p.ParameterType));
            if (method is MethodInfo info)
            {
                direct.Add(info.ReturnType);
            }
            direct.AddRange(InBody(method));
        }
        return direct.OfType<Type>().SelectMany(Unfold);
    }

    private static IEnumerable<Type> Unfold(Type type)
    {
        if (type.HasElementType && type.GetElementType() is { } element)
        {
            return Unfold(element);
        }
        var all = new List<Type> { type };
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            all.AddRange(type.GetGenericArguments().Where(a => !a.IsGenericParameter).SelectMany(Unfold));
        }
        if (type.DeclaringType is { } declaring && !type.IsGenericParameter)
        {
            all.Add(declaring);
        }
        return all;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The types a method body names: every type, field and method token of its IL.</summary>
    private static IEnumerable<Type> InBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            return [];
        }
        var found = new List<Type>();
        var typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            var code = OpCodesByValue[value];
            at += code.Size;
            switch (code.OperandType)
            {
                case OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField:
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments);
                    found.AddRange(member switch
                    {
                        Type t => [t],
                        MethodBase m => [m.DeclaringType!, .. m.GetParameters().Select(p => p.ParameterType), .. m is MethodInfo i ? [i.ReturnType] : Array.Empty<Type>(),
                            .. m.IsGenericMethod ? m.GetGenericArguments() : []],
                        FieldInfo f => [f.DeclaringType!, f.FieldType],
                        _ => [],
                    });
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineNone:
                    break;
                default:
                    at += 4;
                    break;
            }
        }
        return found.Where(t => !t.IsGenericParameter);
    }

    /// <summary>A path from a folder this one uses back to it ("A -> B -> A"), or null.</summary>
    private static string? PathBack(Dictionary<string, HashSet<string>> uses, string start)
    {
        var seen = new HashSet<string>();
        var queue = new Queue<List<string>>(uses[start].Select(next => new List<string> { start, next }));
        while (queue.TryDequeue(out var path))
        {
            var last = path[^1];
            if (last == start)
            {
                return string.Join(" -> ", path);
            }
            if (!seen.Add(last) || !uses.TryGetValue(last, out var next))
            {
                continue;
            }
            foreach (var folder in next)
            {
                queue.Enqueue([.. path, folder]);
            }
        }
        return null;
    }
}
