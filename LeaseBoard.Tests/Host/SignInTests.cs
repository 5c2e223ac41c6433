using System.Net;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Host;

[Collection(SharedAppCollection.Name)]
public sealed class SignInTests(SharedAppFixture app)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/book")]
    [InlineData("/reservations/mine")]
    [InlineData("/settings/notifications")]
    public async Task An_anonymous_visitor_of_a_booking_page_is_sent_to_the_sign_in_page_with_a_return_url(string path)
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = Absolute(response.Headers.Location);
        Assert.Equal("/signin", location.AbsolutePath);
        Assert.Equal("?ReturnUrl=" + Uri.EscapeDataString(path), location.Query);
    }

    [Fact]
    public async Task The_sign_in_page_answers_an_anonymous_visitor_with_the_local_form()
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/signin");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"signin-name\"", html);
        Assert.Contains("__RequestVerificationToken", html);
    }

    [Fact]
    public async Task Signing_in_through_the_form_sets_the_auth_cookie_and_opens_the_booking_page_as_that_user()
    {
        using var client = app.CreateClient();

        using var signIn = await client.SignInAsync("Ana Host", returnUrl: "/book");

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/book", Absolute(signIn.Headers.Location).PathAndQuery);
        Assert.Contains(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("LeaseBoard.Auth=", StringComparison.Ordinal));

        using var page = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var document = new HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync());
        Assert.Equal("Ana Host", document.QuerySelector("[data-testid=user-name]")?.TextContent.Trim());

        // The sign-in recorded the person, so pages can show the name where records keep only the id.
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<LeaseBoard.Data.LeaseBoardDb>>().CreateDbContextAsync();
        var person = await db.People.AsNoTracking().SingleAsync(p => p.Id == "local:ana host");
        Assert.Equal(("Ana Host", false), (person.DisplayName, person.IsAdmin));
    }

    [Theory]
    [MemberData(nameof(LeaseBoard.Tests.Features.SignIn.SafeReturnUrlTests.OffSite), MemberType = typeof(LeaseBoard.Tests.Features.SignIn.SafeReturnUrlTests))]
    public async Task The_return_url_cannot_send_the_user_off_site(string returnUrl)
    {
        using var client = app.CreateClient();

        using var signIn = await client.SignInAsync("Ana", returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var location = Absolute(signIn.Headers.Location);
        Assert.Equal(app.BaseAddress.Authority, location.Authority);
        Assert.Equal("/", location.PathAndQuery);
    }

    [Fact]
    public async Task Signing_out_clears_the_cookie_and_the_pages_ask_for_a_sign_in_again()
    {
        using var client = app.CreateClient();
        (await client.SignInAsync("Ben")).Dispose();
        // The sign-out form sits in the account menu, rendered only when opened; any form carries a token for this user.
        var (_, fields) = await client.ReadFormAsync("/signin");

        using var signOut = await client.PostAsync("/signout", new FormUrlEncodedContent(
            new Dictionary<string, string> { ["__RequestVerificationToken"] = fields["__RequestVerificationToken"] }));

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal("/", Absolute(signOut.Headers.Location).PathAndQuery);
        using var page = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/signin", Absolute(page.Headers.Location).AbsolutePath);
    }

    [Fact]
    public async Task Signing_out_without_the_antiforgery_token_is_refused_and_keeps_the_user_signed_in()
    {
        using var client = app.CreateClient();
        (await client.SignInAsync("Ben")).Dispose();

        using var signOut = await client.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string>()));

        Assert.Equal(HttpStatusCode.BadRequest, signOut.StatusCode);
        using var page = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    private Uri Absolute(Uri? location)
    {
        Assert.NotNull(location);
        return location.IsAbsoluteUri ? location : new Uri(app.BaseAddress, location);
    }
}
