using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// axe-core (shipped inside Deque.AxeCore.Commons, so no network) run in the page: the WCAG 2.0/2.1 A and AA rules,
/// nothing disabled. Each violation comes back as one line naming the rule and each element it failed on.
/// </summary>
public static class Axe
{
    public static readonly IReadOnlyList<string> WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

    private static readonly AxeRunOptions Options = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. WcagTags] },
        ResultTypes = [ResultType.Violations],
        // A WCAG 2.1 A rule (2.5.3 label in name) that axe ships as experimental, so a tag selection alone leaves it out.
        Rules = new Dictionary<string, RuleOptions> { ["label-content-name-mismatch"] = new() { Enabled = true } },
    };

    /// <summary>"color-contrast (serious): Elements must meet minimum color contrast ratio thresholds — .mud-button-label: &lt;span …&gt; (contrast 3.2:1 …)" per failing element.</summary>
    public static async Task<IReadOnlyList<string>> ViolationsAsync(IPage page)
    {
        await StillAsync(page);
        var result = await page.RunAxe(Options);
        return result.Violations.SelectMany(v => v.Nodes.Select(n => $"{v.Id} ({v.Impact}): {v.Help} — {n.Target}: {Short(n.Html)}{Why(n)}")).ToList();
    }

    /// <summary>The same, limited to what one element holds (a dialog).</summary>
    public static async Task<IReadOnlyList<string>> ViolationsAsync(ILocator within)
    {
        await StillAsync(within.Page);
        var result = await within.RunAxe(Options);
        return result.Violations.SelectMany(v => v.Nodes.Select(n => $"{v.Id} ({v.Impact}): {v.Help} — {n.Target}: {Short(n.Html)}{Why(n)}")).ToList();
    }

    /// <summary>
    /// Waits (bounded) until no finite CSS animation or transition is running: a dialog fading in, a button's background
    /// easing after a click or a tile's progress sliding is measured by axe's colour-contrast rule half-way, against colours
    /// no one sees once it settles. Endless ones (an indeterminate progress bar) are left to run. Past the deadline axe runs
    /// anyway and reports what it finds.
    /// </summary>
    private static async Task StillAsync(IPage page)
    {
        try
        {
            await page.WaitForFunctionAsync("""
                () => document.getAnimations().every(a => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity)
                """, null, new() { Timeout = 5_000, PollingInterval = 50 });
        }
        catch (TimeoutException)
        {
            // Still moving after 5 s: axe measures what is on the screen and says so.
        }
    }

    private static string Why(AxeResultNode node)
    {
        var messages = (node.Any ?? []).Concat(node.All ?? []).Concat(node.None ?? []).Select(c => c.Message).Where(m => !string.IsNullOrWhiteSpace(m)).Distinct().ToList();
        return messages.Count == 0 ? "" : " (" + string.Join("; ", messages).ReplaceLineEndings(" ") + ")";
    }

    private static string Short(string html)
    {
        var squashed = string.Join(' ', html.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return squashed.Length <= 240 ? squashed : squashed[..240] + "…";
    }
}
