using Xunit.Abstractions;

namespace LeaseBoard.Tests.Architecture;

/// <summary>
/// The house rules for how parts of the app refer to each other, checked on the compiled code so that a
/// new file cannot quietly break them: <c>Setup/</c> is wiring that nothing else uses, the core
/// (<c>Domain</c>, <c>Data</c>) knows no feature, and features refer to each other one way only.
/// </summary>
public sealed class DependencyTests(ITestOutputHelper output)
{
    private const string Restructuring = "issue 12: the restructuring that makes these pass is under way";
    private static readonly CodeMap Map = CodeMap.Load();

    [Fact]
    public void No_part_but_the_entry_point_refers_to_Setup()
    {
        var offenders = Map.Edges.Where(e => e.Key is not ("Root" or "Setup") && e.Value.ContainsKey("Setup"))
            .Select(e => e.Value["Setup"]).Order(StringComparer.Ordinal).ToList();
        Assert.True(offenders.Count == 0, "Setup/ is wiring only, yet other parts use it:\n  " + string.Join("\n  ", offenders));
    }

    [Fact]
    public void Domain_and_Data_refer_to_no_feature_and_no_shell()
    {
        var offenders = Map.Edges.Where(e => e.Key is "Domain" or "Data")
            .SelectMany(e => e.Value.Where(t => t.Key is not ("Domain" or "Data")).Select(t => t.Value))
            .Order(StringComparer.Ordinal).ToList();
        Assert.True(offenders.Count == 0, "the core depends on features:\n  " + string.Join("\n  ", offenders));
    }

    [Fact]
    public void No_two_parts_refer_to_each_other_even_through_others()
    {
        var cycles = Map.Cycles();
        Assert.True(cycles.Count == 0, "parts that reach each other (a loop):\n  " + string.Join("\n  ", cycles.Select(Describe)));
    }

    [Fact]
    public void The_map_sees_known_references_so_the_rules_above_can_fail()
    {
        // Canaries: if the reader stopped seeing references, every rule above would pass vacuously.
        Assert.True(Map.RefersTo("Root", "Setup"), "Program.cs wires the app through Setup/");
        Assert.True(Map.RefersTo("Booking", "Domain"), "the booking service works on Domain types");
        Assert.True(Map.RefersTo("Calendar", "Booking"), "the calendar books through the booking service");
        Assert.Contains("Wall", Map.Parts);
    }

    [Fact]
    public void Print_the_map()
    {
        foreach (var (from, targets) in Map.Edges.OrderBy(e => e.Key, StringComparer.Ordinal))
            output.WriteLine($"{from} → {string.Join(", ", targets.Keys.Order(StringComparer.Ordinal))}");
    }

    private static string Describe(IReadOnlyList<string> cycle) =>
        string.Join(", ", cycle) + ":\n    " + string.Join("\n    ", cycle.SelectMany(from => cycle
            .Where(to => Map.RefersTo(from, to)).Select(to => Map.Edges[from][to])));
}
