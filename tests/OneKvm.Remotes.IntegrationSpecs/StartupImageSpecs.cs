using System.Buffers.Binary;
using System.Text;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs;

/// <summary>
/// Every action starts the binary anew, so its start-up is paid on every call. A PIE
/// image either rehydrates its runtime data (a .hydrated section, 1.3 MB written at
/// each start) or has ld.so apply tens of thousands of relocations; the shipped image
/// is linked at a fixed address and needs neither (2 ms per action in ./build.sh bench).
/// These specs keep a later build change from bringing that cost back unnoticed.
/// </summary>
public sealed class StartupImageSpecs
{
    private const ushort ExecutableAtFixedAddress = 2; // ET_EXEC; a PIE is ET_DYN (3)

    [Fact]
    public void The_binary_is_linked_at_a_fixed_address_with_no_data_to_rehydrate()
    {
        var elf = ElfImage.Read(TestPaths.Binary);

        Assert.Equal(ExecutableAtFixedAddress, elf.Type);
        Assert.DoesNotContain(".hydrated", elf.Sections.Keys);
    }

    [Fact]
    public void Starting_the_binary_applies_only_a_few_hundred_relocations()
    {
        var elf = ElfImage.Read(TestPaths.Binary);

        const int relocationSize = 24; // Elf64_Rela
        var relocations = elf.Sections.GetValueOrDefault(".rela.dyn") / relocationSize;
        Assert.True(relocations < 1000, $"the binary has {relocations} dynamic relocations (a PIE build: about 1,500 dehydrated, 80,000 not)");
    }

    /// <summary>
    /// The target was 8 MB until the binary took in SQLite (the metric history, linked statically:
    /// about 1.4 MB), the guest agent and doctor (System.Text.Json, about 0.4 MB) and the words of
    /// .NET's exception messages (35 KB): 9.68 MB on 2026-12-07. 10 MB keeps a size budget that fails
    /// when something large comes in unnoticed.
    /// </summary>
    [Fact]
    public void The_binary_stays_within_the_10_MB_size_target()
    {
        var size = new FileInfo(TestPaths.Binary).Length;
        Assert.True(size <= 10_000_000, $"the binary is {size} bytes");
    }

    /// <summary>The ELF64 header's type and each section's name and size: all these specs need.</summary>
    private sealed record ElfImage(ushort Type, IReadOnlyDictionary<string, long> Sections)
    {
        public static ElfImage Read(string path)
        {
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) && bytes[4] == 2, $"{path} is not an ELF64 file");
            var type = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(0x10));
            var sectionTable = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(0x28));
            var entrySize = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(0x3A));
            var count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(0x3C));
            var namesIndex = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(0x3E));
            Span<byte> Header(int i) => bytes.AsSpan(sectionTable + i * entrySize, entrySize);
            var names = (int)BinaryPrimitives.ReadUInt64LittleEndian(Header(namesIndex)[0x18..]);
            var sections = new Dictionary<string, long>();
            for (var i = 0; i < count; i++)
            {
                var header = Header(i);
                var nameStart = names + (int)BinaryPrimitives.ReadUInt32LittleEndian(header);
                var nameLength = bytes.AsSpan(nameStart).IndexOf((byte)0);
                var name = Encoding.ASCII.GetString(bytes, nameStart, nameLength);
                sections[name] = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]);
            }
            return new ElfImage(type, sections);
        }
    }
}
