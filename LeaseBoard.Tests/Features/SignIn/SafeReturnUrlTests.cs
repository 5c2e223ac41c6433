using LeaseBoard.Features.SignIn;

namespace LeaseBoard.Tests.Features.SignIn;

public sealed class SafeReturnUrlTests
{
    /// <summary>Addresses that browsers (after stripping tabs and newlines, reading '\' as '/', or a second decode) take off site.</summary>
    public static TheoryData<string> OffSite() =>
    [
        "//x", "//evil.example/book", "/\\x", "\\\\x", "/\t/x", "/\n/x", "/\r\n/evil.example", "\t//x",
        "/%09/x", "/%0a/x", "/%0D%0A/x", "/%5Cx", "/%5cevil.example", "/%2F/x", "%2F%2Fx", "/%252F/x", "/%255Cx", "/%25%30%39/x",
        "https:x", "https://evil.example/", "http:/\\evil.example", "javascript:x", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
        "data:text/html,x", "~//x", "~/\\x", " //x", "",
    ];

    [Theory]
    [MemberData(nameof(OffSite))]
    public void An_address_that_could_leave_the_site_becomes_the_home_page(string returnUrl) =>
        Assert.Equal("/", SignInAddresses.SafeReturnUrl(returnUrl));

    [Theory]
    [InlineData("/")]
    [InlineData("/book")]
    [InlineData("/reservations/mine")]
    [InlineData("/calendar?date=2026-12-03&mine=true")]
    [InlineData("/calendar?q=load%20test")]
    public void A_local_path_is_followed_as_given(string returnUrl) =>
        Assert.Equal(returnUrl, SignInAddresses.SafeReturnUrl(returnUrl));
}
