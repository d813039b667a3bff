using Runai.Core.Runtime.Internal;

namespace Runai.Core.Tests.Runtime;

public sealed class IndexedStoreTests
{
    private sealed record Item(string Node, params string[] Labels);

    private static IndexedStore<Item> StoreByNode()
    {
        var store = new IndexedStore<Item>();
        store.AddIndexer("node", i => [i.Node]);
        return store;
    }

    [Fact]
    public void IndexFindsObjectsByValue()
    {
        var store = StoreByNode();
        store.Put("a/p1", new Item("n1"));
        store.Put("a/p2", new Item("n2"));
        store.Put("b/p3", new Item("n1"));

        Assert.Equal([new Item("n1"), new Item("n1")], store.ByIndex("node", "n1"));
        Assert.Single(store.ByIndex("node", "n2"));
        Assert.Empty(store.ByIndex("node", "n9"));
    }

    [Fact]
    public void ReplacingAnObjectRefilesItUnderItsNewValues()
    {
        var store = StoreByNode();
        store.Put("a/p1", new Item("n1"));
        var old = store.Put("a/p1", new Item("n2"));

        Assert.Equal(new Item("n1"), old);
        Assert.Empty(store.ByIndex("node", "n1"));
        Assert.Equal([new Item("n2")], store.ByIndex("node", "n2"));
    }

    [Fact]
    public void RemovingAnObjectTakesItOutOfEveryIndex()
    {
        var store = StoreByNode();
        store.AddIndexer("label", i => i.Labels);
        var item = new Item("n1", "x", "y");
        store.Put("a/p1", item);

        Assert.Same(item, store.Remove("a/p1"));
        Assert.Null(store.Remove("a/p1"));
        Assert.Empty(store.ByIndex("node", "n1"));
        Assert.Empty(store.ByIndex("label", "x"));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void AnIndexerAddedLateCoversWhatIsAlreadyStored()
    {
        var store = new IndexedStore<Item>();
        store.Put("a/p1", new Item("n1", "gpu"));
        store.AddIndexer("label", i => i.Labels);

        Assert.Single(store.ByIndex("label", "gpu"));
    }

    [Fact]
    public void AnObjectFiledUnderManyValuesIsFoundUnderEach()
    {
        var store = new IndexedStore<Item>();
        store.AddIndexer("label", i => i.Labels);
        store.Put("a/p1", new Item("n1", "x", "y"));

        Assert.Single(store.ByIndex("label", "x"));
        Assert.Single(store.ByIndex("label", "y"));
    }

    [Fact]
    public void AskingForAnUnknownIndexNamesIt()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => new IndexedStore<Item>().ByIndex("owner", "x"));
        Assert.Contains("\"owner\"", e.Message);
    }

    [Fact]
    public void AnIndexNameCanBeUsedOnce()
    {
        var store = StoreByNode();
        Assert.Throws<InvalidOperationException>(() => store.AddIndexer("node", i => [i.Node]));
    }
}
