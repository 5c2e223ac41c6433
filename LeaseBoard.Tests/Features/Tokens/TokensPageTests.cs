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

    private IRenderedComponent<MudPopoverProvider>? _popovers;

    private IRenderedComponent<TokensPage> RenderPage()
    {
        _popovers = Render<MudPopoverProvider>();
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

    [Fact]
    public async Task An_admin_sees_everyones_tokens_and_revokes_one_after_confirming()
    {
        var tokens = Services.GetRequiredService<ApiTokenService>();
        var (bens, _) = await tokens.CreateAsync(TestActors.Ben, "bens pipeline", Domain.ApiScope.Book, 30);
        SignInAsAdmin();
        var dialogs = Render<MudDialogProvider>();
        var page = RenderPage();

        var row = page.WaitForElement($"[data-testid=all-token-row][data-token-id='{bens!.Row.Id}']");
        Assert.Contains("Ben", row.TextContent);
        Assert.Contains("bens pipeline", row.TextContent);
        var click = row.QuerySelector("[data-testid=all-token-revoke]")!.ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());
        dialogs.WaitForAssertion(() => Assert.Contains("of Ben", dialogs.Markup));
        await dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Revoke").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());
        await click;

        page.WaitForAssertion(() => Assert.Contains("revoked", page.Find($"[data-testid=all-token-row][data-token-id='{bens.Row.Id}']").TextContent));
        Assert.NotNull((await tokens.ListAsync(TestActors.Ben)).Single().RevokedUtc);
    }

    [Fact]
    public async Task Someone_who_is_not_an_admin_sees_only_their_own_tokens_and_no_admin_scope()
    {
        await Services.GetRequiredService<ApiTokenService>().CreateAsync(TestActors.Ben, "bens pipeline", Domain.ApiScope.Book, 30);
        var page = RenderPage();

        page.Find(".mud-select .mud-input-control").MouseDown(); // open the scope list
        page.WaitForAssertion(() => Assert.Contains("calendar feed only", page.Markup + RenderedPopovers()));
        Assert.DoesNotContain(">admin<", RenderedPopovers());
        Assert.Empty(page.FindAll("[data-testid=all-token-row]"));
        Assert.DoesNotContain("bens pipeline", page.Markup);
    }

    // Roles before claims: set the other way round (as SignInAs does), the page found no identifier claim.
    private void SignInAsAdmin()
    {
        Auth.SetAuthorized(TestActors.Admin.DisplayName);
        Auth.SetRoles(LeaseBoard.Features.SignIn.Roles.Admin);
        Auth.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, TestActors.Admin.Id));
    }

    private string RenderedPopovers() => _popovers!.Markup;

    [Fact]
    public void An_admin_may_choose_the_admin_scope()
    {
        SignInAsAdmin();
        var page = RenderPage();

        page.Find(".mud-select .mud-input-control").MouseDown();
        page.WaitForAssertion(() => Assert.Contains(">admin<", RenderedPopovers()));
    }
}
