using Mono.Cecil;
using Mono.Cecil.Cil;

namespace LeaseBoard.Tests.Architecture;

/// <summary>
/// Which part of the app refers to which, read from the compiled assembly (so Razor markup, lambdas and
/// async methods count as the code that wrote them). A part is a feature folder
/// (<c>LeaseBoard.Features.Booking</c> → "Booking") or a top-level folder ("Setup", "Data", "Domain", "Components").
/// </summary>
public sealed class CodeMap
{
    private const string Root = "LeaseBoard";
    private const string Features = Root + ".Features.";

    /// <summary>For each part, the parts it refers to, with one example each ("Booking.MyReservationsPage → Api.ApiTokenService").</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Edges { get; }

    private CodeMap(Dictionary<string, Dictionary<string, string>> edges) =>
        Edges = edges.ToDictionary(e => e.Key, e => (IReadOnlyDictionary<string, string>)e.Value);

    public static CodeMap Load() => LoadFrom(typeof(Program).Assembly.Location);

    public static CodeMap LoadFrom(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var edges = new Dictionary<string, Dictionary<string, string>>();
        foreach (var type in module.GetTypes())
        {
            var outer = Outermost(type);
            if (PartOf(outer) is not { } from) continue;
            foreach (var used in References(type))
            {
                if (PartOf(Outermost(used)) is not { } to || to == from) continue;
                var targets = edges.TryGetValue(from, out var t) ? t : edges[from] = [];
                targets.TryAdd(to, $"{from}.{outer.Name} → {to}.{Outermost(used).Name}");
            }
        }
        return new CodeMap(edges);
    }

    public IReadOnlyCollection<string> Parts => Edges.Keys.Concat(Edges.Values.SelectMany(v => v.Keys)).ToHashSet();

    public bool RefersTo(string from, string to) => Edges.TryGetValue(from, out var targets) && targets.ContainsKey(to);

    /// <summary>The groups of parts that reach each other (Tarjan's strongly connected components, size ≥ 2).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var found = new List<IReadOnlyList<string>>();
        foreach (var part in Parts.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(part)) Visit(part);
        return found;

        void Visit(string part)
        {
            index[part] = low[part] = index.Count;
            stack.Push(part);
            onStack.Add(part);
            foreach (var next in Edges.TryGetValue(part, out var targets) ? targets.Keys.Order(StringComparer.Ordinal).ToList() : [])
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[part] = Math.Min(low[part], low[next]);
                }
                else if (onStack.Contains(next)) low[part] = Math.Min(low[part], index[next]);
            }
            if (low[part] != index[part]) return;
            var group = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                group.Add(member);
            } while (member != part);
            if (group.Count > 1) found.Add(group.Order(StringComparer.Ordinal).ToList());
        }
    }

    /// <summary>"Booking" for <c>LeaseBoard.Features.Booking</c>, "Setup" for <c>LeaseBoard.Setup</c>, "Root" for Program.cs, null outside the app.</summary>
    private static string? PartOf(TypeReference type)
    {
        if (type.Scope is not ModuleDefinition) return null; // another assembly's type
        var ns = type.Namespace;
        if (ns.Length == 0) return type.Name == "Program" ? "Root" : null;
        if (ns.StartsWith(Features, StringComparison.Ordinal)) return ns[Features.Length..].Split('.')[0];
        if (ns == Root) return "Root";
        if (!ns.StartsWith(Root + ".", StringComparison.Ordinal)) return null;
        return ns[(Root.Length + 1)..].Split('.')[0];
    }

    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type;
    }

    private static IEnumerable<TypeReference> References(TypeDefinition type)
    {
        if (type.BaseType is not null) foreach (var t in Expand(type.BaseType)) yield return t;
        foreach (var i in type.Interfaces) foreach (var t in Expand(i.InterfaceType)) yield return t;
        foreach (var t in Attributes(type)) yield return t;
        foreach (var field in type.Fields)
        {
            foreach (var t in Expand(field.FieldType)) yield return t;
            foreach (var t in Attributes(field)) yield return t;
        }
        foreach (var property in type.Properties)
        {
            foreach (var t in Expand(property.PropertyType)) yield return t;
            foreach (var t in Attributes(property)) yield return t;
        }
        foreach (var method in type.Methods)
        {
            foreach (var t in Expand(method.ReturnType)) yield return t;
            foreach (var p in method.Parameters) foreach (var t in Expand(p.ParameterType)) yield return t;
            foreach (var t in Attributes(method)) yield return t;
            if (!method.HasBody) continue;
            foreach (var v in method.Body.Variables) foreach (var t in Expand(v.VariableType)) yield return t;
            foreach (var instruction in method.Body.Instructions)
                foreach (var t in Operand(instruction)) yield return t;
        }
    }

    private static IEnumerable<TypeReference> Operand(Instruction instruction) => instruction.Operand switch
    {
        TypeReference t => Expand(t),
        MethodReference m => Expand(m.DeclaringType).Concat(Expand(m.ReturnType))
            .Concat(m.Parameters.SelectMany(p => Expand(p.ParameterType)))
            .Concat(m is GenericInstanceMethod g ? g.GenericArguments.SelectMany(Expand) : []),
        FieldReference f => Expand(f.DeclaringType).Concat(Expand(f.FieldType)),
        _ => [],
    };

    private static IEnumerable<TypeReference> Attributes(ICustomAttributeProvider provider) =>
        provider.CustomAttributes.SelectMany(a => Expand(a.AttributeType)
            .Concat(a.ConstructorArguments.Select(arg => arg.Value).OfType<TypeReference>().SelectMany(Expand)));

    /// <summary>A type with everything it is made of: element types of arrays and by-refs, and generic arguments.</summary>
    private static IEnumerable<TypeReference> Expand(TypeReference type)
    {
        switch (type)
        {
            case GenericInstanceType generic:
                yield return generic.ElementType;
                foreach (var argument in generic.GenericArguments)
                    foreach (var t in Expand(argument)) yield return t;
                break;
            case TypeSpecification spec:
                foreach (var t in Expand(spec.ElementType)) yield return t;
                break;
            case GenericParameter:
                break;
            default:
                yield return type;
                break;
        }
    }
}
