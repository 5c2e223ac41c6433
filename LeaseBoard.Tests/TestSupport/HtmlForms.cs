using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>Reads and submits server-rendered forms the way a browser without JavaScript would.</summary>
public static class HtmlForms
{
    /// <summary>GETs <paramref name="pageUrl"/> and returns the named fields (hidden ones included) of its first form matching <paramref name="formSelector"/>.</summary>
    public static async Task<(string Action, Dictionary<string, string> Fields)> ReadFormAsync(this HttpClient client, string pageUrl, string formSelector = "form")
    {
        using var response = await client.GetAsync(pageUrl);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var document = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var form = document.QuerySelector(formSelector) as IHtmlFormElement
                   ?? throw new Xunit.Sdk.XunitException($"{pageUrl} has no form matching '{formSelector}'.");
        var fields = new Dictionary<string, string>();
        foreach (var input in form.QuerySelectorAll("input[name]").OfType<IHtmlInputElement>())
        {
            if (input.Type is "checkbox" or "radio" && !input.IsChecked) continue;
            fields[input.Name!] = input.Value;
        }
        var action = form.GetAttribute("action") is { Length: > 0 } a ? a : pageUrl;
        return (action, fields);
    }

    /// <summary>Signs in through the real local sign-in form: GET /signin, keep its antiforgery and handler fields, POST it with a name.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(this HttpClient client, string name, string? returnUrl = null)
    {
        var page = returnUrl is null ? "/signin" : $"/signin?ReturnUrl={Uri.EscapeDataString(returnUrl)}";
        var (action, fields) = await client.ReadFormAsync(page);
        Assert.Contains("__RequestVerificationToken", fields.Keys);
        fields["Input.Name"] = name;
        return await client.PostAsync(action, new FormUrlEncodedContent(fields));
    }
}
