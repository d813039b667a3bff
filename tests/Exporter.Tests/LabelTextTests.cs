using System.Text;
using CsCheck;
using Runai.Exporter.Exposition;

namespace Runai.Exporter.Tests;

[Collection(nameof(LabelTextTests))] // LabelText.Bounded is process-wide
public sealed class LabelTextTests
{
    private static string Quoted(string? value)
    {
        var b = new StringBuilder();
        LabelText.WriteQuoted(b, value);
        return b.ToString();
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData(@"C:\path", "\"C:\\\\path\"")]
    [InlineData("two\nlines", "\"two\\nlines\"")]
    [InlineData("", "\"\"")]
    [InlineData(null, "\"\"")]
    public void QuotesBackslashesAndNewlinesAreEscaped(string? value, string expected) => Assert.Equal(expected, Quoted(value));

    [Fact]
    public void KubernetesNamesAreNeverCut()
    {
        var name = new string('a', 253);
        Assert.Equal(name, LabelText.Bound(name));
    }

    [Fact]
    public void LongValuesAreCutToTheBoundAndStayDistinct()
    {
        var seen = new List<LabelBounding>();
        LabelText.Bounded = seen.Add;
        try
        {
            var a = LabelText.Bound(new string('x', 100_000) + "a");
            var b = LabelText.Bound(new string('x', 100_000) + "b");
            Assert.Equal(LabelText.MaxLength, a.Length);
            Assert.Equal(LabelText.MaxLength, b.Length);
            Assert.NotEqual(a, b);
            Assert.Equal([LabelBounding.Truncated, LabelBounding.Truncated], seen);
        }
        finally
        {
            LabelText.Bounded = null;
        }
    }

    [Fact]
    public void LoneSurrogatesAndControlCharactersBecomeReplacementCharactersAndAreCounted()
    {
        var seen = new List<LabelBounding>();
        LabelText.Bounded = seen.Add;
        try
        {
            Assert.Equal("a\uFFFDb\uFFFDc", LabelText.Bound("a\uD800b\u0000c"));
            Assert.Equal([LabelBounding.InvalidUnicode, LabelBounding.ControlCharacter], seen);
            seen.Clear();
            Assert.Equal("GPU 🚀 ü", LabelText.Bound("GPU 🚀 ü"));
            Assert.Empty(seen);
        }
        finally
        {
            LabelText.Bounded = null;
        }
    }

    [Fact]
    public void AnyStringBecomesAQuotedValueThatIsValidUtf8OfBoundedLength()
    {
        Gen.String[Gen.Char, 0, 600].Sample(value =>
        {
            var quoted = Quoted(value);
            var bytes = Encoding.UTF8.GetBytes(quoted);
            Assert.Equal(quoted, new UTF8Encoding(false, true).GetString(bytes)); // throws on invalid UTF-8
            Assert.DoesNotContain('\n', quoted);
            Assert.True(quoted.Length <= 2 * LabelText.MaxLength + 2);
            var inner = quoted[1..^1].Replace("\\\\", "", StringComparison.Ordinal).Replace("\\\"", "", StringComparison.Ordinal);
            Assert.DoesNotContain('"', inner);
        });
    }
}

[CollectionDefinition(nameof(LabelTextTests), DisableParallelization = true)]
public sealed class LabelTextCollection;
