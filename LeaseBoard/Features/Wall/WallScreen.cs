using System.Globalization;

namespace LeaseBoard.Features.Wall;

/// <summary>
/// What one screen of the wall shows, from its address: <c>?envs=env-1,env-2</c> (only these, in this order),
/// <c>?cols=4</c> (1–12 columns) and <c>?size=s|m|l</c> (text scale). Anything unreadable falls back to the default.
/// </summary>
public sealed record WallScreen(IReadOnlyList<string>? Environments, int? Columns, string Size)
{
    public static readonly WallScreen Default = new(null, null, "m");

    public static WallScreen From(string? envs, string? cols, string? size)
    {
        var keys = envs?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        int? columns = int.TryParse(cols, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? Math.Clamp(n, WallGridLayout.MinColumns, WallGridLayout.MaxColumns) : null;
        var scale = size?.Trim().ToLowerInvariant() is "s" or "m" or "l" ? size.Trim().ToLowerInvariant() : "m";
        return new(keys is { Count: > 0 } ? keys : null, columns, scale);
    }

    public (int Columns, int Rows) LayoutFor(int tiles) => WallGridLayout.For(tiles, Columns);

    /// <summary>The environments this screen shows, and the asked-for keys that name none (case-insensitive).</summary>
    public (IReadOnlyList<WallEnvironment> Shown, IReadOnlyList<string> Unknown) Pick(IReadOnlyList<WallEnvironment> all)
    {
        if (Environments is null) return (all, []);
        var byKey = all.ToDictionary(e => e.Key, StringComparer.OrdinalIgnoreCase);
        var shown = Environments.Where(byKey.ContainsKey).Select(k => byKey[k]).ToList();
        var unknown = Environments.Where(k => !byKey.ContainsKey(k)).ToList();
        return (shown, unknown);
    }
}
