using System.Collections;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Patching;

/// <summary>
/// A set of field paths: what one manager owns, in managedFields' terms. Converts to and from the fieldsV1
/// encoding (<c>{"f:spec": {"f:replicas": {}}}</c>, <c>k:{"name":"x"}</c> for keyed list items, <c>v:"x"</c>
/// for set members, <c>".": {}</c> where a path with children is itself a member).
/// </summary>
internal sealed class FieldSet : IEnumerable<FieldPath>
{
    // Object metadata is the server's, except these; apiVersion and kind are not fields of the content.
    private static readonly HashSet<string> TrackedMetadata = ["labels", "annotations", "finalizers", "ownerReferences"];

    private readonly HashSet<FieldPath> _paths;

    public FieldSet(IEnumerable<FieldPath>? paths = null) => _paths = [.. paths ?? []];

    public int Count => _paths.Count;
    public bool IsEmpty => _paths.Count == 0;
    public bool Contains(FieldPath path) => _paths.Contains(path);

    /// <summary>True when the set holds <paramref name="path"/> or anything below it.</summary>
    public bool ContainsOrBelow(FieldPath path) => _paths.Any(path.IsPrefixOf);

    public FieldSet Union(IEnumerable<FieldPath> other) => new(_paths.Concat(other));
    public FieldSet Except(IEnumerable<FieldPath> other) => new(_paths.Except(other));
    public FieldSet Intersect(IEnumerable<FieldPath> other) => new(_paths.Intersect(other));
    public FieldSet Where(Func<FieldPath, bool> keep) => new(_paths.Where(keep));

    public IEnumerator<FieldPath> GetEnumerator() => _paths.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The fields an object sets: scalars, nulls, empty objects and atomic lists and objects are members
    /// themselves; keyed list items are members and so are their fields; set lists contribute one member per
    /// value. With <paramref name="withFreeFormMaps"/> a map such as labels is a member as well as its
    /// entries, as the ownership an ordinary update records shows it.
    /// </summary>
    public static FieldSet Of(JsonObject obj, PatchSchema schema, bool withFreeFormMaps = false)
    {
        var paths = new HashSet<FieldPath>();
        Collect(obj, FieldPath.Root, schema, withFreeFormMaps, paths);
        return new FieldSet(paths);
    }

    private static void Collect(JsonNode? node, FieldPath path, PatchSchema schema, bool withFreeFormMaps, HashSet<FieldPath> paths)
    {
        switch (node)
        {
            case JsonObject when schema.IsAtomicObject(path):
                paths.Add(path);
                break;
            case JsonObject obj:
                var isMetadata = path.Length == 1 && path.Last == PathElement.Field("metadata");
                if (obj.Count == 0 && !path.IsRoot && !isMetadata)
                    paths.Add(path);
                if (withFreeFormMaps && schema.IsFreeFormMap(path))
                    paths.Add(path);
                foreach (var (key, value) in obj)
                {
                    if (path.IsRoot ? key is "apiVersion" or "kind" : isMetadata && !TrackedMetadata.Contains(key))
                        continue;
                    Collect(value, path.Field(key), schema, withFreeFormMaps, paths);
                }
                break;
            case JsonArray array:
                CollectList(array, path, schema, withFreeFormMaps, paths);
                break;
            default:
                paths.Add(path);
                break;
        }
    }

    private static void CollectList(JsonArray array, FieldPath path, PatchSchema schema, bool withFreeFormMaps, HashSet<FieldPath> paths)
    {
        var strategy = schema.ListAt(path);
        // A keyed list whose items lack their key (or a set holding objects) cannot be tracked item by
        // item; own it whole, as structured-merge-diff does for lists it cannot key.
        var keyed = strategy.Type == ListType.Map
            && array.All(item => item is JsonObject o && o.TryGetPropertyValue(strategy.MergeKey!, out var k) && k is not null);
        var set = strategy.Type == ListType.Set && array.All(item => item is not (JsonObject or JsonArray));
        if (!keyed && !set)
        {
            paths.Add(path);
            return;
        }
        foreach (var item in array)
        {
            if (set)
            {
                paths.Add(path.Append(PathElement.Value(item)));
                continue;
            }
            var obj = (JsonObject)item!;
            var itemPath = path.Append(PathElement.Key(new JsonObject { [strategy.MergeKey!] = obj[strategy.MergeKey!]!.DeepClone() }));
            paths.Add(itemPath);
            Collect(obj, itemPath, schema, withFreeFormMaps, paths);
        }
    }

    /// <summary>The fieldsV1 encoding, children in structured-merge-diff's order (".", f:, k:, v:, i:).</summary>
    public JsonObject ToFieldsV1()
    {
        var root = new Node();
        foreach (var path in _paths)
        {
            var node = root;
            foreach (var e in path.Elements)
            {
                if (!node.Children.TryGetValue(e, out var child))
                    node.Children[e] = child = new Node();
                node = child;
            }
            node.Member = true;
        }
        return root.ToJson();
    }

    /// <summary>Reads the fieldsV1 encoding.</summary>
    /// <exception cref="ApiException">400 BadRequest when it is not well formed.</exception>
    public static FieldSet FromFieldsV1(JsonObject fieldsV1)
    {
        var paths = new HashSet<FieldPath>();
        Read(fieldsV1, FieldPath.Root, paths);
        return new FieldSet(paths);
    }

    private static void Read(JsonObject obj, FieldPath path, HashSet<FieldPath> paths)
    {
        foreach (var (key, value) in obj)
        {
            if (value is not JsonObject child)
                throw ApiException.BadRequest($"invalid fieldsV1 at {path}: \"{key}\" must map to a JSON object, got {JsonTree.Describe(value)}");
            if (key == ".")
            {
                if (!path.IsRoot)
                    paths.Add(path);
                continue;
            }
            var childPath = path.Append(PathElement.Decode(key));
            if (child.Count == 0)
                paths.Add(childPath);
            else
                Read(child, childPath, paths);
        }
    }

    private sealed class Node
    {
        public SortedDictionary<PathElement, Node> Children { get; } = new(ElementOrder.Instance);
        public bool Member { get; set; }

        public JsonObject ToJson()
        {
            var obj = new JsonObject();
            if (Member && Children.Count > 0)
                obj["."] = new JsonObject();
            foreach (var (element, child) in Children)
                obj[element.Encode()] = child.ToJson();
            return obj;
        }
    }

    private sealed class ElementOrder : IComparer<PathElement>
    {
        public static readonly ElementOrder Instance = new();

        public int Compare(PathElement x, PathElement y) =>
            x.Kind != y.Kind ? x.Kind.CompareTo(y.Kind) : string.CompareOrdinal(x.Text, y.Text);
    }
}
