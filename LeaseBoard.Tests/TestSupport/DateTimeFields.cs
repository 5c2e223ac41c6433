using AngleSharp.Dom;
using Bunit;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// Typing into a <c>DateTimeField</c> (Components/DateTimeField.razor): a date field and a 24-hour time field
/// inside <c>{testId}-date</c> and <c>{testId}-time</c>; the combined value ("yyyy-MM-ddTHH:mm") is on <c>{testId}</c>'s data-value.
/// </summary>
public static class DateTimeFields
{
    /// <summary>bUnit: types "yyyy-MM-ddTHH:mm" into the two fields as a user would (a change event on each).</summary>
    public static void Type(Func<string, IElement> find, string testId, string value)
    {
        var (date, time) = Split(value);
        find($"[data-testid={testId}-date] input").Change(date);
        find($"[data-testid={testId}-time] input").Change(time);
    }

    public static string? ValueOf(Func<string, IElement> find, string testId) => find($"[data-testid={testId}]").GetAttribute("data-value");

    /// <summary>Chromium: types the date and the time key by key over what is there, leaving each field with Tab.</summary>
    public static async Task TypeAsync(IPage page, string testId, string value)
    {
        var (date, time) = Split(value);
        await TypeOverAsync(page.GetByTestId($"{testId}-date").Locator("input"), date);
        await TypeOverAsync(page.GetByTestId($"{testId}-time").Locator("input"), time);
    }

    private static async Task TypeOverAsync(ILocator input, string text)
    {
        await input.FocusAsync();
        await input.PressAsync("ControlOrMeta+a");
        await input.PressSequentiallyAsync(text);
        await input.PressAsync("Tab");
    }

    private static (string Date, string Time) Split(string value)
    {
        var parts = value.Split('T');
        return (parts[0], parts[1]);
    }
}
