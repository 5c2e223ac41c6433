using Bunit;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Tokens;

/// <summary>The API tokens page as Ana meets it, on a real database.</summary>
public sealed class TokensPageTests : ComponentTestBase
{
    public TokensPageTests()
    {
        Services.AddSingleton<ApiTokenService>();
    }

    private IRenderedComponent<TokensPage> RenderPage()
    {
        Render<MudPopoverProvider>();
        var page = Render<TokensPage>();
        page.WaitForElement("[data-testid=token-create]");
        return page;
    }

    [Fact]
    public void A_name_typed_and_created_straight_away_makes_the_token()
    {
        var page = RenderPage();

        page.Find("[data-testid=token-name]").Input("nightly-chaos pipeline"); // typing only: no change event before the click
        page.Find("[data-testid=token-create]").Click();

        page.WaitForAssertion(() => Assert.StartsWith("lb_", page.Find("[data-testid=token-secret]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=token-error]"));
        Assert.Contains("nightly-chaos pipeline", page.Find("[data-testid=token-row]").TextContent);
    }

    [Fact]
    public void The_secret_shown_once_is_copied_to_the_clipboard_with_one_click_and_the_button_says_so()
    {
        var clipboard = JSInterop.SetupModule("./Features/Tokens/TokensPage.razor.js");
        clipboard.Setup<bool>("copy", _ => true).SetResult(true);
        var page = RenderPage();
        page.Find("[data-testid=token-name]").Input("ci");
        page.Find("[data-testid=token-create]").Click();
        var secret = page.WaitForElement("[data-testid=token-secret]").TextContent;

        page.Find("[data-testid=token-copy]").Click();

        var copied = Assert.Single(clipboard.Invocations, i => i.Identifier == "copy");
        Assert.Equal(secret, Assert.Single(copied.Arguments));
        page.WaitForAssertion(() => Assert.Equal("Copied", page.Find("[data-testid=token-copy]").TextContent.Trim()));
        Assert.Equal("true", page.Find("[data-testid=token-copy]").GetAttribute("data-copied"));
    }

    [Fact]
    public void A_refused_copy_says_how_to_copy_by_hand()
    {
        var clipboard = JSInterop.SetupModule("./Features/Tokens/TokensPage.razor.js");
        clipboard.Setup<bool>("copy", _ => true).SetResult(false);
        var page = RenderPage();
        page.Find("[data-testid=token-name]").Input("ci");
        page.Find("[data-testid=token-create]").Click();
        page.WaitForElement("[data-testid=token-secret]");

        page.Find("[data-testid=token-copy]").Click();

        page.WaitForAssertion(() => Assert.Contains("select the token and press Ctrl+C", page.Find("[data-testid=token-copy-failed]").TextContent));
        Assert.Equal("Copy", page.Find("[data-testid=token-copy]").TextContent.Trim());
    }
}
