using System.Text.Json;

namespace LeaseBoard.Tests.Features.Webhooks;

/// <summary>
/// The part of the Adaptive Card 1.4 schema (adaptivecards.io/schemas/1.4.0/adaptive-card.json) that LeaseBoard's
/// cards use, written down here because the schema cannot be fetched offline: the required properties, the
/// properties each element may have, and the enumerations' allowed values. A card with a misspelt or unknown
/// property, a wrong value or a missing required one fails.
/// </summary>
public static class AdaptiveCardShape
{
    private static readonly Dictionary<string, HashSet<string>> Allowed = new()
    {
        ["AdaptiveCard"] = ["type", "version", "$schema", "body", "actions", "fallbackText", "lang", "speak", "msteams", "minHeight", "verticalContentAlignment", "selectAction", "backgroundImage", "rtl"],
        ["TextBlock"] = ["type", "text", "color", "fontType", "horizontalAlignment", "isSubtle", "maxLines", "size", "weight", "wrap", "style", "id", "isVisible", "separator", "spacing", "height", "fallback", "requires"],
        ["Action.OpenUrl"] = ["type", "url", "title", "iconUrl", "id", "style", "fallback", "tooltip", "isEnabled", "mode", "requires"],
    };

    private static readonly Dictionary<string, string[]> Required = new()
    {
        ["AdaptiveCard"] = ["type", "version"],
        ["TextBlock"] = ["type", "text"],
        ["Action.OpenUrl"] = ["type", "url"],
    };

    private static readonly Dictionary<string, string[]> Enumerations = new()
    {
        ["weight"] = ["Default", "Lighter", "Bolder"],
        ["size"] = ["Default", "Small", "Medium", "Large", "ExtraLarge"],
    };

    public static void AssertValid(JsonElement card)
    {
        AssertElement(card, "AdaptiveCard", "card");
        Assert.Matches(@"^\d+\.\d+$", card.GetProperty("version").GetString());
        foreach (var (element, i) in card.GetProperty("body").EnumerateArray().Select((e, i) => (e, i)))
            AssertElement(element, "TextBlock", $"body[{i}]");
        if (card.TryGetProperty("actions", out var actions))
            foreach (var (action, i) in actions.EnumerateArray().Select((a, i) => (a, i)))
            {
                AssertElement(action, "Action.OpenUrl", $"actions[{i}]");
                Assert.True(Uri.IsWellFormedUriString(action.GetProperty("url").GetString(), UriKind.Absolute), $"actions[{i}].url is not an absolute URI");
            }
    }

    private static void AssertElement(JsonElement element, string type, string where)
    {
        Assert.Equal(JsonValueKind.Object, element.ValueKind);
        Assert.Equal(type, element.GetProperty("type").GetString());
        foreach (var property in element.EnumerateObject())
        {
            Assert.True(Allowed[type].Contains(property.Name), $"{where} ({type}) has '{property.Name}', which the schema does not define");
            if (Enumerations.TryGetValue(property.Name, out var values))
                Assert.Contains(property.Value.GetString(), values);
            if (property.Name == "wrap") Assert.Equal(JsonValueKind.True, property.Value.ValueKind);
        }
        foreach (var required in Required[type])
            Assert.True(element.TryGetProperty(required, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0,
                $"{where} ({type}) lacks '{required}'");
    }
}
