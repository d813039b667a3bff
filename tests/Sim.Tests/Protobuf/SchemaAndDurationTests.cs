using Runai.Sim.Api.Protobuf;

namespace Runai.Sim.Tests.Protobuf;

public sealed class SchemaAndDurationTests
{
    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "1ns")]
    [InlineData(1_500L, "1.5µs")]
    [InlineData(250_000_000L, "250ms")]
    [InlineData(1_500_000_000L, "1.5s")]
    [InlineData(90_000_000_000L, "1m30s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(-3_723_000_000_000L, "-1h2m3s")]
    [InlineData(long.MinValue, "-2562047h47m16.854775808s")]
    public void DurationsReadAsGoPrintsThem(long nanos, string expected)
    {
        Assert.Equal(expected, GoDuration.Format(nanos));
    }

    [Fact]
    public void TableParsesShapesTypesAndZeroHandling()
    {
        var schema = ProtoSchema.Parse("""
            kind v1 Thing = x.Thing
            message x.Thing
              1 name string
              2 count int32?
              3 items []x.Item
              4 labels map<string,string>
              5 inline x.Item
            message x.Item
              1 size quantity!
            """);

        var thing = schema.ForKind("v1", "Thing")!;

        Assert.Equal(FieldShape.Single, thing.Field(1)!.Shape);
        Assert.False(thing.Field(1)!.KeepZero);
        Assert.True(thing.Field(2)!.KeepZero);
        Assert.Equal(FieldShape.Repeated, thing.Field(3)!.Shape);
        Assert.Same(schema.Message("x.Item"), thing.Field(3)!.Message);
        Assert.Equal(FieldShape.Map, thing.Field(4)!.Shape);
        Assert.True(thing.Field(5)!.Inline);
        Assert.Equal(ProtoType.Quantity, schema.Message("x.Item")!.Field(1)!.Type);
        Assert.Null(schema.ForKind("v2", "Thing"));
    }

    [Theory]
    [InlineData("message a.A\n  1 b a.Missing", "undeclared message a.Missing")]
    [InlineData("message a.A\n  1 b nosuchtype", "unknown type nosuchtype")]
    [InlineData("message a.A\n  1 b string\n  1 c string", "repeats a field number")]
    [InlineData("  1 b string", "inside a message")]
    [InlineData("kind v1 A = a.A", "undeclared message a.A")]
    public void BrokenTablesAreRejectedWithTheReason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ProtoSchema.Parse(text));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
