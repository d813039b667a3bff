namespace Runai.Core.Tests;

public sealed class KubeNamesTests
{
    [Theory]
    [InlineData("my-project", true)]
    [InlineData("a", true)]
    [InlineData("team-07", true)]
    [InlineData("0team", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("My-Project", false)]
    [InlineData("-team", false)]
    [InlineData("team-", false)]
    [InlineData("team.one", false)]
    [InlineData("team_one", false)]
    [InlineData("tëam", false)]
    public void DnsLabelsAreLowerCaseLettersDigitsAndInnerDashes(string? name, bool expected) =>
        Assert.Equal(expected, KubeNames.IsDnsLabel(name));

    [Fact]
    public void ADnsLabelHasAtMost63Characters()
    {
        Assert.True(KubeNames.IsDnsLabel(new string('a', 63)));
        Assert.False(KubeNames.IsDnsLabel(new string('a', 64)));
    }
}
