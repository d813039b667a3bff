using Runai.Core.Runtime;
using Runai.Core.Runtime.Internal;

namespace Runai.Core.Tests.Runtime;

public sealed class ResyncTests
{
    private sealed record Obj(string Rv);

    private static IReadOnlyList<CacheChange<Obj>> Diff(Dictionary<string, Obj> cached, params (string, Obj)[] listed) =>
        Resync.Diff(cached, listed, o => o.Rv);

    [Fact]
    public void AnUnchangedObjectYieldsNoEvent()
    {
        Assert.Empty(Diff(new() { ["a"] = new Obj("1") }, ("a", new Obj("1"))));
    }

    [Fact]
    public void ANewObjectIsAdded()
    {
        var change = Assert.Single(Diff([], ("a", new Obj("5"))));
        Assert.Equal(new CacheChange<Obj>(InformerEventType.Added, "a", new Obj("5"), null), change);
    }

    [Fact]
    public void AChangedResourceVersionIsAnUpdateCarryingTheOldState()
    {
        var change = Assert.Single(Diff(new() { ["a"] = new Obj("1") }, ("a", new Obj("7"))));
        Assert.Equal(new CacheChange<Obj>(InformerEventType.Updated, "a", new Obj("7"), new Obj("1")), change);
    }

    [Fact]
    public void AnObjectMissingFromTheListIsDeletedWithItsLastCachedState()
    {
        var change = Assert.Single(Diff(new() { ["a"] = new Obj("3") }));
        Assert.Equal(new CacheChange<Obj>(InformerEventType.Deleted, "a", new Obj("3"), new Obj("3")), change);
    }

    [Fact]
    public void EveryCombinationYieldsExactlyOneEventPerDifference()
    {
        // Each key is absent, at rv 1, or at rv 2 in the cache and in the list: all nine pairings at once.
        var states = new Obj?[] { null, new("1"), new("2") };
        var cached = new Dictionary<string, Obj>();
        var listed = new List<(string, Obj)>();
        var expected = new Dictionary<string, InformerEventType?>();
        for (var c = 0; c < 3; c++)
        {
            for (var l = 0; l < 3; l++)
            {
                var key = $"k{c}{l}";
                if (states[c] is { } co)
                {
                    cached[key] = co;
                }

                if (states[l] is { } lo)
                {
                    listed.Add((key, lo));
                }

                expected[key] = (states[c], states[l]) switch
                {
                    (null, null) => null,
                    (null, _) => InformerEventType.Added,
                    (_, null) => InformerEventType.Deleted,
                    var (a, b) when a == b => null,
                    _ => InformerEventType.Updated,
                };
            }
        }

        var changes = Resync.Diff(cached, listed, o => o.Rv);

        Assert.Equal(changes.Count, changes.Select(ch => ch.Key).Distinct().Count());
        foreach (var (key, type) in expected)
        {
            Assert.Equal(type, changes.Where(ch => ch.Key == key).Select(ch => (InformerEventType?)ch.Type).SingleOrDefault());
        }
    }

    [Fact]
    public void AListHoldingAKeyTwiceIsRejected()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Diff([], ("a", new Obj("1")), ("a", new Obj("2"))));
        Assert.Contains("a", e.Message);
    }
}
