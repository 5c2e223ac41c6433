using Bunit;
using LeaseBoard.Features.Api;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Api;

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
}
