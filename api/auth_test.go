package api

import "testing"

func TestKeyring(t *testing.T) {
	t.Parallel()
	k, err := NewKeyring(map[string][]string{
		"shop-1": {KeyHash("key-one"), KeyHash("key-two")},
		"shop-2": {KeyHash("key-three")},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, tenant string
		ok          bool
	}{
		{"key-one", "shop-1", true},
		{"key-two", "shop-1", true},
		{"key-three", "shop-2", true},
		{"key-four", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if tenant, ok := k.Tenant(tt.key); tenant != tt.tenant || ok != tt.ok {
			t.Errorf("Tenant(%q) = %q, %v; want %q, %v", tt.key, tenant, ok, tt.tenant, tt.ok)
		}
	}
}

func TestKeyringRejectsBadConfig(t *testing.T) {
	t.Parallel()
	bad := []map[string][]string{
		{"": {KeyHash("k")}},
		{"shop": {"not-hex"}},
		{"shop": {"abcd"}},
		{"a": {KeyHash("same")}, "b": {KeyHash("same")}},
	}
	for i, h := range bad {
		if _, err := NewKeyring(h); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}
