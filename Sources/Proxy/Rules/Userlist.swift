// `userlist` sections at run time: users with a crypt(3) hash (`password`) or a clear-text
// `insecure-password`, and their groups. Checking a hash calls crypt_r with the worker's own
// crypt_data (as HAProxy calls crypt(3) for every request that asks: hashes such as $6$ are
// deliberately slow, so configurations use them on small paths only).

import CCrypt
#if canImport(Glibc)
import Glibc
#endif

public final class Userlist: Sendable {
    public struct User: Sendable {
        let name: [UInt8]
        let secret: [UInt8]       // NUL-terminated for crypt_r when hashed
        let hashed: Bool
        /// Bit i set: member of group i.
        let groups: UInt64
    }
    public let name: String
    let users: [User]
    let groupNames: [String]

    public init(_ def: UserlistDef) {
        name = def.name
        var groups = def.groups
        for u in def.users { for g in u.groups where !groups.contains(g) { groups.append(g) } }
        groupNames = groups
        users = def.users.map { u in
            var mask: UInt64 = 0
            for g in u.groups { if let i = groups.firstIndex(of: g), i < 64 { mask |= 1 << UInt64(i) } }
            return User(name: Array(u.name.utf8), secret: Array(u.password.utf8) + (u.hashed ? [0] : []), hashed: u.hashed, groups: mask)
        }
    }

    /// Bit mask of the named groups (configuration time).
    func groupMask(_ names: [String]) -> UInt64 {
        var m: UInt64 = 0
        for n in names { if let i = groupNames.firstIndex(of: n), i < 64 { m |= 1 << UInt64(i) } }
        return m
    }

    /// The user whose password matches, or nil.
    func check(user: UnsafeRawBufferPointer, password: UnsafeRawBufferPointer, scratch: CryptScratch) -> User? {
        for u in users where u.name.count == user.count && u.name.withUnsafeBytes({ Bytes.equal($0, user, ignoreCase: false) }) {
            if u.hashed {
                return scratch.matches(password: password, hash: u.secret) ? u : nil
            }
            return u.secret.withUnsafeBytes { Bytes.equal($0, password, ignoreCase: false) } ? u : nil
        }
        return nil
    }

    func groupName(of u: User) -> String? {
        for (i, g) in groupNames.enumerated() where i < 64 && u.groups & (1 << UInt64(i)) != 0 { return g }
        return nil
    }
}

/// Per-worker crypt_r state and a NUL-terminated copy of the password.
final class CryptScratch {
    let data: UnsafeMutablePointer<crypt_data>
    let key: UnsafeMutablePointer<CChar>
    static let keyCapacity = 1024

    init() {
        data = .allocate(capacity: 1)
        memset(data, 0, MemoryLayout<crypt_data>.size)
        key = .allocate(capacity: CryptScratch.keyCapacity)
    }
    deinit { data.deallocate(); key.deallocate() }

    func matches(password: UnsafeRawBufferPointer, hash: [UInt8]) -> Bool {
        guard password.count < CryptScratch.keyCapacity else { return false }
        if password.count > 0 { memcpy(key, password.baseAddress!, password.count) }
        key[password.count] = 0
        return hash.withUnsafeBytes { h -> Bool in
            let setting = h.baseAddress!.assumingMemoryBound(to: CChar.self)
            guard let out = crypt_r(key, setting, data) else { return false }
            return strcmp(out, setting) == 0
        }
    }
}
